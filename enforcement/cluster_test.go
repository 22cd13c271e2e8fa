package enforcement_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/enforcement"
	"github.com/isolate-workloads/isolate-workloads/internal/policytest"
	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// clusterConfig is the pool of the cluster tests, shared with the in-process
// tests of the oracles module.
const clusterConfig = policytest.PoolConfig

const (
	appsNS   = policytest.Namespace
	poolNode = "pool-node"
)

// policyCluster is a control plane with the policy of clusterConfig applied,
// one node of the pool and one shared node.
type policyCluster struct {
	*testcluster.Cluster
	cfg      *config.WorkloadIsolation
	warnings *warningRecorder
	// withWarnings is a client whose responses' warnings are recorded.
	withWarnings kubernetes.Interface
}

// TestPolicyOnAPIServer runs every claim about the policy against the real
// kube-apiserver, scheduler and controllers of the harness.
func TestPolicyOnAPIServer(t *testing.T) {
	c := startPolicyCluster(t)
	// The subtests share the cluster and change its binding, so they run in
	// order.
	t.Run("type-checks without warnings", c.testTypeChecking)
	t.Run("isolated output is admitted and scheduled onto the pool", c.testIsolatedOutputScheduled)
	t.Run("pinned rule denies", c.testPinnedRule)
	t.Run("privileged tolerating rule denies", c.testPrivilegedRule)
	t.Run("acknowledged DaemonSet in kube-system is admitted", c.testAcknowledgedDaemonSet)
	t.Run("update adding a wildcard toleration is denied", c.testUpdateAddingToleration)
	t.Run("privileged ephemeral container is denied", c.testEphemeralContainer)
	t.Run("cost budget", c.testCostBudget)
	t.Run("agrees with the audit", c.testAgreesWithAudit)
	t.Run("Warn admits with a warning", c.testWarn)
	t.Run("Audit admits silently", c.testAudit)
}

func startPolicyCluster(t *testing.T) *policyCluster {
	c := &policyCluster{Cluster: testcluster.Start(t), cfg: policytest.Config(t), warnings: &warningRecorder{}}
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = c.warnings
	var err error
	if c.withWarnings, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	pool := c.cfg.Spec.NodePool
	c.CreateNode(t, testcluster.Node{Name: poolNode, Labels: pool.Labels, Taints: pool.CoreTaints()})
	c.CreateNode(t, testcluster.Node{Name: "shared-node"})
	c.CreateNamespace(t, appsNS)
	// Applying the function's own output emits the policy and the binding.
	c.Apply(t, []byte(renderObjects(t, c.cfg)))
	c.waitForActions(t, admissionregistrationv1.Deny)
	return c
}

func renderObjects(t testing.TB, cfg *config.WorkloadIsolation) string {
	t.Helper()
	objs, err := enforcement.Render(cfg, cfg.Pools()[0])
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, o := range objs {
		docs = append(docs, o.String())
	}
	return strings.Join(docs, "---\n")
}

// rule2BadPod tolerates everything and is privileged: what rule 2 denies.
func rule2BadPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers:  []corev1.Container{{Name: "agent", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}},
		},
	}
}

// setActions applies the binding with other validation actions, and waits
// until the API server acts on them.
func (c *policyCluster) setActions(t *testing.T, actions ...admissionregistrationv1.ValidationAction) {
	t.Helper()
	cfg := *c.cfg
	enf := *cfg.Spec.Enforcement
	enf.ValidationActions = actions
	cfg.Spec.Enforcement = &enf
	c.Apply(t, []byte(renderObjects(t, &cfg)))
	c.waitForActions(t, actions...)
}

// waitForActions polls until the policy's informers have caught up: the bad
// pod is denied under Deny, and admitted (with a warning or silently) otherwise.
func (c *policyCluster) waitForActions(t testing.TB, actions ...admissionregistrationv1.ValidationAction) {
	t.Helper()
	deny := false
	warn := false
	for _, a := range actions {
		deny = deny || a == admissionregistrationv1.Deny
		warn = warn || a == admissionregistrationv1.Warn
	}
	testcluster.WaitFor(t, time.Minute, fmt.Sprintf("the binding with %v to take effect", actions), func(ctx context.Context) (bool, error) {
		c.warnings.reset()
		err := c.dryRunCreate(ctx, c.withWarnings, appsNS, rule2BadPod("probe"))
		warned := len(c.warnings.get()) > 0
		switch {
		case deny:
			return err != nil && strings.Contains(err.Error(), enforcement.RulePrivilegedTolerating), nil
		case err != nil:
			return false, err
		default:
			return warned == warn, nil
		}
	})
}

func (c *policyCluster) dryRunCreate(ctx context.Context, client kubernetes.Interface, ns string, pod *corev1.Pod) error {
	_, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

// testTypeChecking reads the type checking the API server does against the
// Pod schema. It covers only validations and their messages, so each
// variable and the match condition are also checked as the validation of a
// policy of their own (unbound: it decides nothing), with the variables
// before them defined.
func (c *policyCluster) testTypeChecking(t *testing.T) {
	policy := enforcement.Policy(c.cfg, c.cfg.Pools()[0])
	c.expectNoTypeWarnings(t, policy.Name)

	spec := policy.Spec
	check := func(name string, variables []admissionregistrationv1.Variable, expression string) *admissionregistrationv1.ValidatingAdmissionPolicy {
		p := enforcement.Policy(c.cfg, c.cfg.Pools()[0])
		p.Name = name
		p.Spec.MatchConditions = nil
		p.Spec.Variables = variables
		p.Spec.Validations = []admissionregistrationv1.Validation{{Expression: "(" + expression + ") == (" + expression + ")"}}
		if _, err := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return p
	}
	for i, v := range spec.Variables {
		check("typecheck-variable-"+strings.ToLower(v.Name), spec.Variables[:i], v.Expression)
	}
	check("typecheck-match-condition", nil, spec.MatchConditions[0].Expression)
	for _, v := range spec.Variables {
		c.expectNoTypeWarnings(t, "typecheck-variable-"+strings.ToLower(v.Name))
	}
	c.expectNoTypeWarnings(t, "typecheck-match-condition")

	// The control: a misspelt field is flagged, so no warning above means
	// the Pod schema found nothing.
	check("typecheck-control", nil, "object.spec.tolerationz")
	if w := c.typeWarnings(t, "typecheck-control"); len(w) == 0 || !strings.Contains(w[0].Warning, "tolerationz") {
		t.Errorf("type checking did not flag the misspelt field: %+v", w)
	}
}

func (c *policyCluster) expectNoTypeWarnings(t *testing.T, name string) {
	t.Helper()
	for _, w := range c.typeWarnings(t, name) {
		t.Errorf("policy %s: type checking warns at %s: %s", name, w.FieldRef, w.Warning)
	}
}

// typeWarnings waits for the type checking of the current generation.
func (c *policyCluster) typeWarnings(t *testing.T, name string) []admissionregistrationv1.ExpressionWarning {
	t.Helper()
	var policy *admissionregistrationv1.ValidatingAdmissionPolicy
	testcluster.WaitFor(t, time.Minute, "the type checking of policy "+name, func(ctx context.Context) (bool, error) {
		var err error
		policy, err = c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{})
		return err == nil && policy.Status.TypeChecking != nil && policy.Status.ObservedGeneration == policy.Generation, err
	})
	return policy.Status.TypeChecking.ExpressionWarnings
}

// isolatedWorkloads are the workloads the function isolates in the test of
// its own output, one per kind that creates pods.
const isolatedWorkloads = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
  labels: {isolation: untrusted}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - {name: app, image: nginx}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: apps
  labels: {isolation: untrusted}
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - {name: db, image: postgres}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: sandbox-agent
  namespace: apps
  labels: {isolation: untrusted}
spec:
  selector:
    matchLabels: {app: sandbox-agent}
  template:
    metadata:
      labels: {app: sandbox-agent}
    spec:
      containers:
      - {name: agent, image: busybox}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: batch
  namespace: apps
  labels: {isolation: untrusted}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: job, image: busybox}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: apps
  labels: {isolation: untrusted}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: job, image: busybox}
`

// runFunction runs the function on workloads with config, and returns its
// output items; it fails the test when the function fails.
func runFunction(t *testing.T, config, workloads string) fn.KubeObjects {
	t.Helper()
	items, err := fn.ParseKubeObjects([]byte(workloads))
	if err != nil {
		t.Fatal(err)
	}
	cfgObj, err := fn.ParseKubeObject([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: cfgObj}
	if ok, err := transformer.Run(rl); !ok || err != nil {
		t.Fatalf("the function failed: %v %v", err, rl.Results)
	}
	return rl.Items
}

func (c *policyCluster) testIsolatedOutputScheduled(t *testing.T) {
	var docs []string
	var cronJob *fn.KubeObject
	for _, o := range runFunction(t, clusterConfig, isolatedWorkloads) {
		docs = append(docs, o.String())
		if o.GetKind() == "CronJob" {
			cronJob = o
		}
	}
	// The whole output, policy and binding included, applies cleanly.
	c.Apply(t, []byte(strings.Join(docs, "---\n")))
	// The CronJob runs at 3 am: run its job template now, as
	// `kubectl create job --from=cronjob/nightly` does.
	var cj batchv1.CronJob
	if err := sigsyaml.Unmarshal([]byte(cronJob.String()), &cj); err != nil {
		t.Fatal(err)
	}
	now := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "nightly-now", Labels: cj.Spec.JobTemplate.Labels}, Spec: cj.Spec.JobTemplate.Spec}
	if _, err := c.Client.BatchV1().Jobs(appsNS).Create(context.Background(), now, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, owner := range []string{"web-", "db-0", "sandbox-agent-", "batch-", "nightly-now-"} {
		testcluster.WaitFor(t, 2*time.Minute, "a pod of "+owner+" scheduled onto the pool", func(ctx context.Context) (bool, error) {
			pods, err := c.Client.CoreV1().Pods(appsNS).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			for _, p := range pods.Items {
				if strings.HasPrefix(p.Name, owner) && p.Spec.NodeName != "" {
					if p.Spec.NodeName != poolNode {
						return false, fmt.Errorf("pod %s runs on %s, not on the pool", p.Name, p.Spec.NodeName)
					}
					if p.Labels[enforcement.PoolLabel] != c.cfg.Spec.NodePool.Name {
						return false, fmt.Errorf("pod %s lacks the pool label", p.Name)
					}
					return true, nil
				}
			}
			return false, c.failedCreate(ctx)
		})
	}
}

// failedCreate returns the last FailedCreate event, where a controller
// reports a denied pod.
func (c *policyCluster) failedCreate(ctx context.Context) error {
	events, err := c.Client.CoreV1().Events(appsNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := len(events.Items) - 1; i >= 0; i-- {
		if e := events.Items[i]; e.Reason == "FailedCreate" {
			return errors.New(e.InvolvedObject.Name + ": " + e.Message)
		}
	}
	return nil
}

// expectDenied creates pod (dry run) and wants a denial whose message holds
// every part of want.
func (c *policyCluster) expectDenied(t *testing.T, ns string, pod *corev1.Pod, want ...string) string {
	t.Helper()
	err := c.dryRunCreate(context.Background(), c.Client, ns, pod)
	if err == nil {
		t.Fatalf("pod %s was admitted, want a denial with %q", pod.Name, want)
	}
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
		t.Logf("the denial is not Forbidden: %v", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("pod %s: the denial lacks %q:\n%v", pod.Name, w, err)
		}
	}
	return err.Error()
}

func (c *policyCluster) expectAdmitted(t *testing.T, ns string, pod *corev1.Pod) {
	t.Helper()
	if err := c.dryRunCreate(context.Background(), c.Client, ns, pod); err != nil {
		t.Errorf("pod %s was denied: %v", pod.Name, err)
	}
}

// isolatedPod is a pod as the function isolates it: labelled, tolerating the
// pool and pinned to it.
func (c *policyCluster) isolatedPod(name string) *corev1.Pod {
	pool, opts := placement.PoolsOf(c.cfg)[0], placement.OptionsOf(c.cfg.Spec.Placement)
	plan, _ := placement.PlanFor(placement.Scheduling{}, pool, opts, field.NewPath("spec"))
	s := plan.Apply(placement.Scheduling{})
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{enforcement.PoolLabel: pool.Name}},
		Spec: corev1.PodSpec{
			Tolerations: s.Tolerations, Affinity: s.Affinity, NodeSelector: s.NodeSelector,
			Containers: []corev1.Container{{Name: "app", Image: "nginx"}},
		},
	}
}

func (c *policyCluster) testPinnedRule(t *testing.T) {
	c.expectAdmitted(t, appsNS, c.isolatedPod("isolated"))

	noTolerations := c.isolatedPod("no-tolerations")
	noTolerations.Spec.Tolerations = nil
	c.expectDenied(t, appsNS, noTolerations, "[pinned-to-pool]", `node pool "untrusted"`,
		"does not tolerate the taints workload=untrusted:NoSchedule, sandbox.example.com/runtime:NoExecute")

	noAffinity := c.isolatedPod("no-affinity")
	noAffinity.Spec.Affinity = nil
	c.expectDenied(t, appsNS, noAffinity, "[pinned-to-pool]", "pins it to the labels sandbox.example.com/runtime=gvisor, workload=untrusted")

	// nodeSelectorTerms are ORed: a second term without the pool's labels
	// lets the pod run anywhere.
	twoTerms := c.isolatedPod("two-terms")
	terms := &twoTerms.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	*terms = append(*terms, corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpExists}}})
	c.expectDenied(t, appsNS, twoTerms, "[pinned-to-pool]", "pins it to the labels")

	// A nodeSelector pins as well as the affinity does.
	bySelector := c.isolatedPod("by-selector")
	bySelector.Spec.Affinity = nil
	bySelector.Spec.NodeSelector = c.cfg.Spec.NodePool.Labels
	c.expectAdmitted(t, appsNS, bySelector)
}

func (c *policyCluster) testPrivilegedRule(t *testing.T) {
	msg := c.expectDenied(t, appsNS, rule2BadPod("wildcard-privileged"), "[privileged-tolerating]", `node pool "untrusted"`, `container "agent" is privileged`)
	if !strings.Contains(msg, "acknowledged in namespace kube-system") {
		t.Errorf("the denial does not say how to acknowledge a node agent: %s", msg)
	}
	// Not privileged: tolerating the pool alone is the audit's warning, not
	// a denial.
	plain := rule2BadPod("wildcard-plain")
	plain.Spec.Containers[0].SecurityContext = nil
	c.expectAdmitted(t, appsNS, plain)
	// Privileged, but tolerating only one of the two guarded taints.
	oneTaint := rule2BadPod("one-taint")
	oneTaint.Spec.Tolerations = []corev1.Toleration{{Key: "workload", Operator: corev1.TolerationOpExists}}
	c.expectAdmitted(t, appsNS, oneTaint)
	// The acknowledgement counts only in an acknowledged namespace.
	ack := rule2BadPod("acknowledged-in-apps")
	ack.Labels = map[string]string{enforcement.AcknowledgedLabel: "true"}
	ack.Annotations = map[string]string{enforcement.AcknowledgedReasonAnnotation: "log agent"}
	c.expectDenied(t, appsNS, ack, "[privileged-tolerating]", "its acknowledgement counts only in namespace kube-system")
	// ... and only with its reason.
	noReason := rule2BadPod("acknowledged-without-reason")
	noReason.Labels = ack.Labels
	c.expectDenied(t, metav1.NamespaceSystem, noReason, "[privileged-tolerating]", "non-empty annotation")
	c.expectAdmitted(t, metav1.NamespaceSystem, ack)
}

func (c *policyCluster) testAcknowledgedDaemonSet(t *testing.T) {
	agent := func(ns string) *appsv1.DaemonSet {
		pod := rule2BadPod("")
		return &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: "log-agent", Namespace: ns},
			Spec: appsv1.DaemonSetSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "log-agent"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{
						Labels:      map[string]string{"app": "log-agent", enforcement.AcknowledgedLabel: "true"},
						Annotations: map[string]string{enforcement.AcknowledgedReasonAnnotation: "ships the logs of every node"},
					},
					Spec: corev1.PodSpec{
						HostNetwork: true, Tolerations: pod.Spec.Tolerations, Containers: pod.Spec.Containers,
						Volumes: []corev1.Volume{{Name: "logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}}},
					},
				},
			},
		}
	}
	ctx := context.Background()
	for _, ns := range []string{metav1.NamespaceSystem, appsNS} {
		if _, err := c.Client.AppsV1().DaemonSets(ns).Create(ctx, agent(ns), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The DaemonSet controller creates a pod for each node, the pool's
	// included, since the agent tolerates everything.
	testcluster.WaitFor(t, 2*time.Minute, "the acknowledged agent's pods in kube-system", func(ctx context.Context) (bool, error) {
		pods, err := c.Client.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "app=log-agent"})
		return err == nil && len(pods.Items) == 2, err
	})
	testcluster.WaitFor(t, time.Minute, "the agent in apps to be refused", func(ctx context.Context) (bool, error) {
		err := c.failedCreate(ctx)
		return err != nil && strings.Contains(err.Error(), "[privileged-tolerating]"), nil
	})
	pods, err := c.Client.CoreV1().Pods(appsNS).List(ctx, metav1.ListOptions{LabelSelector: "app=log-agent"})
	if err != nil || len(pods.Items) > 0 {
		t.Errorf("the unacknowledged namespace got %d agent pods (%v)", len(pods.Items), err)
	}
}

func (c *policyCluster) testUpdateAddingToleration(t *testing.T) {
	ctx := context.Background()
	pod := rule2BadPod("running-privileged")
	pod.Spec.Tolerations = nil
	pod.Spec.NodeName = "shared-node"
	created, err := c.Client.CoreV1().Pods(appsNS).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Adding a toleration to a pod is an allowed update: this one does not
	// tolerate the pool, and passes.
	harmless := created.DeepCopy()
	harmless.Spec.Tolerations = append(harmless.Spec.Tolerations, corev1.Toleration{Key: "other", Operator: corev1.TolerationOpExists})
	updated, err := c.Client.CoreV1().Pods(appsNS).Update(ctx, harmless, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("adding a harmless toleration: %v", err)
	}
	wildcard := updated.DeepCopy()
	wildcard.Spec.Tolerations = append(wildcard.Spec.Tolerations, corev1.Toleration{Operator: corev1.TolerationOpExists})
	_, err = c.Client.CoreV1().Pods(appsNS).Update(ctx, wildcard, metav1.UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), "[privileged-tolerating]") {
		t.Errorf("adding a wildcard toleration to a running privileged pod: %v, want the privileged-tolerating denial", err)
	}
}

// testEphemeralContainer: ephemeral containers are added to a running pod
// through their own subresource, which the policy also matches.
func (c *policyCluster) testEphemeralContainer(t *testing.T) {
	ctx := context.Background()
	pod := rule2BadPod("debug-target")
	pod.Spec.Containers[0].SecurityContext = nil
	pod.Spec.NodeName = "shared-node"
	created, err := c.Client.CoreV1().Pods(appsNS).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a pod tolerating the pool without privileges: %v", err)
	}
	debug := created.DeepCopy()
	debug.Spec.EphemeralContainers = append(debug.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)},
	}})
	_, err = c.Client.CoreV1().Pods(appsNS).UpdateEphemeralContainers(ctx, debug.Name, debug, metav1.UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), `container "debugger" is privileged`) {
		t.Errorf("adding a privileged ephemeral container: %v, want the privileged-tolerating denial", err)
	}
	// The same container without privileges is allowed: the subresource
	// itself works.
	debug.Spec.EphemeralContainers[0].SecurityContext = nil
	if _, err := c.Client.CoreV1().Pods(appsNS).UpdateEphemeralContainers(ctx, debug.Name, debug, metav1.UpdateOptions{}); err != nil {
		t.Errorf("adding a plain ephemeral container: %v", err)
	}
}

// testCostBudget: a pod with 50 containers and 100 tolerations is decided by
// the rules, not by a CEL cost error.
func (c *policyCluster) testCostBudget(t *testing.T) {
	big := func(name string) *corev1.Pod {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}}
		for i := range 100 {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{Key: fmt.Sprintf("example.com/key-%d", i), Operator: corev1.TolerationOpExists})
		}
		for i := range 50 {
			pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: "busybox",
				SecurityContext: &corev1.SecurityContext{
					Privileged: ptr(true), AllowPrivilegeEscalation: ptr(true), RunAsUser: ptr(int64(0)),
					Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "CHOWN", "cap_bpf"}},
				}})
			pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: fmt.Sprintf("v%d", i), VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
		}
		return pod
	}
	// Tolerating the pool with its last toleration: every rule runs in full.
	privileged := big("big-privileged")
	privileged.Spec.Tolerations[99] = corev1.Toleration{Operator: corev1.TolerationOpExists}
	// The list is cut so the message stays under the API server's 5 KiB
	// limit for a messageExpression (beyond it, the static message names no
	// privilege).
	msg := c.expectDenied(t, appsNS, privileged, "[privileged-tolerating]",
		`(hostPath volume "v0" (/); hostPath volume "v1" (/);`, `container "c0" is privileged; container "c0" allows privilege escalation; container "c0" adds capabilities NET_ADMIN, SYS_ADMIN, SYS_PTRACE, BPF`, "... (the list is cut)")
	if strings.Contains(strings.ToLower(msg), "cost") {
		t.Errorf("the denial is a cost error: %s", msg)
	}
	labelled := big("big-labelled")
	labelled.Labels = map[string]string{enforcement.PoolLabel: c.cfg.Spec.NodePool.Name}
	msg = c.expectDenied(t, appsNS, labelled, "[pinned-to-pool]", "does not tolerate the taints")
	if strings.Contains(strings.ToLower(msg), "cost") {
		t.Errorf("the denial is a cost error: %s", msg)
	}
	// Not concerning the pool: the match condition lets it through.
	c.expectAdmitted(t, appsNS, big("big-elsewhere"))
}

func (c *policyCluster) testWarn(t *testing.T) {
	c.setActions(t, admissionregistrationv1.Warn)
	c.warnings.reset()
	if err := c.dryRunCreate(context.Background(), c.withWarnings, appsNS, rule2BadPod("warned")); err != nil {
		t.Fatalf("Warn denied the pod: %v", err)
	}
	got := strings.Join(c.warnings.get(), "\n")
	if !strings.Contains(got, "[privileged-tolerating]") || !strings.Contains(got, `container "agent" is privileged`) {
		t.Errorf("warnings %q lack the rule's message", got)
	}
}

func (c *policyCluster) testAudit(t *testing.T) {
	c.setActions(t, admissionregistrationv1.Audit)
	c.warnings.reset()
	if err := c.dryRunCreate(context.Background(), c.withWarnings, appsNS, rule2BadPod("audited")); err != nil {
		t.Fatalf("Audit denied the pod: %v", err)
	}
	if w := c.warnings.get(); len(w) > 0 {
		t.Errorf("Audit warned: %q", w)
	}
	c.setActions(t, admissionregistrationv1.Deny)
}

// warningRecorder keeps the warnings of API responses.
type warningRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warningRecorder) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = nil
}

func (w *warningRecorder) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

func ptr[T any](v T) *T { return &v }

// testAgreesWithAudit decides a table and random pod specs twice: with the
// audit's code in process, and with the policy on the API server (dry-run
// creates of unlabelled pods). They must agree on "privileged and tolerates
// the pool", and name the same privileges.
func (c *policyCluster) testAgreesWithAudit(t *testing.T) {
	auditor := audit.NewAuditor(c.cfg)
	specs := policytest.AgreementSpecs()
	denied, agreed := 0, 0
	for i, spec := range specs {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("agree-%d", i)}, Spec: spec}
		auditSays, reasons := policytest.AuditDecision(t, auditor, pod)
		err := c.dryRunCreate(context.Background(), c.Client, appsNS, pod)
		if err != nil && !strings.Contains(err.Error(), "["+enforcement.RulePrivilegedTolerating+"]") {
			t.Errorf("row %d: the API server refused the pod for another reason: %v\n%s", i, err, policytest.Describe(spec))
			continue
		}
		policySays := err != nil
		if auditSays != policySays {
			t.Errorf("row %d: the audit says %v, the policy says %v (%v)\n%s", i, auditSays, policySays, err, policytest.Describe(spec))
			continue
		}
		agreed++
		if policySays {
			denied++
			if !strings.Contains(err.Error(), "has elevated privileges ("+reasons+"): ") {
				t.Errorf("row %d: the policy names other privileges than the audit (%s):\n%v", i, reasons, err)
			}
		}
	}
	t.Logf("%d pod specs, %d privileged and tolerating the pool, all decided alike: %v", len(specs), denied, agreed == len(specs))
	if denied == 0 || denied == len(specs) {
		t.Errorf("%d of %d rows denied: the generator does not exercise both outcomes", denied, len(specs))
	}
}

// twoPoolConfig has two tenants' pools with enforcement: each gets a
// policy of its own. tenant-b's taints include one without a value.
const twoPoolConfig = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: tenants
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  nodePools:
  - name: tenant-a
    taints:
    - {key: tenant, value: a, effect: NoSchedule}
    labels: {tenant: a}
    selectors:
    - namespace: team-a
  - name: tenant-b
    taints:
    - {key: tenant, value: b, effect: NoSchedule}
    - {key: gpu, effect: NoExecute}
    labels: {tenant: b, accelerator: gpu}
    selectors:
    - namespace: team-b
  enforcement:
    validationActions: [Deny]
`

// twoPoolWorkloads are one Deployment per tenant.
const twoPoolWorkloads = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team-a}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - {name: app, image: nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: team-b}
spec:
  selector:
    matchLabels: {app: trainer}
  template:
    metadata:
      labels: {app: trainer}
    spec:
      containers:
      - {name: app, image: nginx}
`

// TestTwoPoolPoliciesOnAPIServer applies the function's output for two
// pools, a policy and a binding for each, and checks that each policy
// guards its own pool: a pod labelled for tenant-a and pinned to tenant-a
// is admitted and scheduled there; one labelled for tenant-a but pinned to
// tenant-b is denied by tenant-a's policy; a privileged pod tolerating
// tenant-b's taints is denied by tenant-b's.
func TestTwoPoolPoliciesOnAPIServer(t *testing.T) {
	var docs, admission []string
	templates := map[string]corev1.PodTemplateSpec{}
	for _, o := range runFunction(t, twoPoolConfig, twoPoolWorkloads) {
		docs = append(docs, o.String())
		switch o.GetKind() {
		case "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
			admission = append(admission, o.GetKind()+" "+o.GetName())
		case "Deployment":
			var d appsv1.Deployment
			if err := sigsyaml.Unmarshal([]byte(o.String()), &d); err != nil {
				t.Fatal(err)
			}
			templates[d.Namespace] = d.Spec.Template
		}
	}
	wantAdmission := []string{
		"ValidatingAdmissionPolicy isolate-workloads-tenant-a", "ValidatingAdmissionPolicy isolate-workloads-tenant-b",
		"ValidatingAdmissionPolicyBinding isolate-workloads-tenant-a", "ValidatingAdmissionPolicyBinding isolate-workloads-tenant-b",
	}
	if slices.Sort(admission); !slices.Equal(admission, wantAdmission) {
		t.Fatalf("the function emitted %q, want a policy and a binding per pool", admission)
	}

	c := &policyCluster{Cluster: testcluster.Start(t)}
	nodes := map[string]string{}
	for _, p := range []struct {
		name   string
		labels map[string]string
		taints []corev1.Taint
	}{
		{"tenant-a", map[string]string{"tenant": "a"}, []corev1.Taint{{Key: "tenant", Value: "a", Effect: corev1.TaintEffectNoSchedule}}},
		{"tenant-b", map[string]string{"tenant": "b", "accelerator": "gpu"}, []corev1.Taint{
			{Key: "tenant", Value: "b", Effect: corev1.TaintEffectNoSchedule}, {Key: "gpu", Effect: corev1.TaintEffectNoExecute}}},
	} {
		c.CreateNode(t, testcluster.Node{Name: p.name + "-node", Labels: p.labels, Taints: p.taints})
		nodes[p.name+"-node"] = p.name
	}
	c.CreateNode(t, testcluster.Node{Name: "shared-node"})
	for _, ns := range []string{"team-a", "team-b", appsNS} {
		c.CreateNamespace(t, ns)
	}
	c.Apply(t, []byte(strings.Join(docs, "---\n")))

	// privileged tolerates what the template of namespace ns tolerates, and
	// nothing else; it has no pool label.
	privileged := func(name, ns string) *corev1.Pod {
		pod := rule2BadPod(name)
		pod.Spec.Tolerations = templates[ns].Spec.Tolerations
		return pod
	}
	for _, ns := range []string{"team-a", "team-b"} {
		policy := "isolate-workloads-tenant-" + strings.TrimPrefix(ns, "team-")
		testcluster.WaitFor(t, time.Minute, "policy "+policy+" to deny a privileged pod tolerating its pool", func(ctx context.Context) (bool, error) {
			err := c.dryRunCreate(ctx, c.Client, appsNS, privileged("probe", ns))
			return err != nil && strings.Contains(err.Error(), "'"+policy+"'"), nil
		})
	}

	// The function's own output: each Deployment's pods are admitted and
	// scheduled onto their pool's node, with its label.
	for ns, pool := range map[string]string{"team-a": "tenant-a", "team-b": "tenant-b"} {
		testcluster.WaitFor(t, 2*time.Minute, "the pod of "+ns+" scheduled", func(ctx context.Context) (bool, error) {
			pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil || len(pods.Items) == 0 || pods.Items[0].Spec.NodeName == "" {
				return false, err
			}
			p := pods.Items[0]
			if nodes[p.Spec.NodeName] != pool || p.Labels[enforcement.PoolLabel] != pool {
				return false, fmt.Errorf("pod %s/%s runs on %s with pool label %q, want pool %s", ns, p.Name, p.Spec.NodeName, p.Labels[enforcement.PoolLabel], pool)
			}
			return true, nil
		})
	}

	// labelled is a pod with the labels of team-a's template (its pool
	// label tenant-a) and the scheduling of the template of namespace ns.
	labelled := func(name, ns string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: templates["team-a"].Labels},
			Spec: corev1.PodSpec{
				Tolerations: templates[ns].Spec.Tolerations, Affinity: templates[ns].Spec.Affinity, NodeSelector: templates[ns].Spec.NodeSelector,
				Containers: []corev1.Container{{Name: "app", Image: "nginx"}},
			},
		}
	}
	t.Run("labelled tenant-a and pinned to tenant-a is admitted", func(t *testing.T) {
		created, err := c.Client.CoreV1().Pods(appsNS).Create(context.Background(), labelled("pinned-a", "team-a"), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("denied: %v", err)
		}
		testcluster.WaitFor(t, time.Minute, "pod pinned-a scheduled", func(ctx context.Context) (bool, error) {
			p, err := c.Client.CoreV1().Pods(appsNS).Get(ctx, created.Name, metav1.GetOptions{})
			return err == nil && p.Spec.NodeName != "", err
		})
		if p, _ := c.Client.CoreV1().Pods(appsNS).Get(context.Background(), created.Name, metav1.GetOptions{}); nodes[p.Spec.NodeName] != "tenant-a" {
			t.Errorf("pod pinned-a runs on %s", p.Spec.NodeName)
		}
	})
	t.Run("labelled tenant-a but pinned to tenant-b is denied by tenant-a's policy", func(t *testing.T) {
		msg := c.expectDenied(t, appsNS, labelled("pinned-b", "team-b"), "'isolate-workloads-tenant-a'", "[pinned-to-pool]",
			"labelled isolate-workloads.dev/node-pool=tenant-a", `node pool "tenant-a"`,
			"does not tolerate the taints tenant=a:NoSchedule", "pins it to the labels tenant=a")
		if strings.Contains(msg, "isolate-workloads-tenant-b") {
			t.Errorf("tenant-b's policy denied the pod too: it tolerates tenant-b, but is neither privileged nor labelled for tenant-b:\n%s", msg)
		}
	})
	t.Run("privileged and tolerating tenant-b is denied by tenant-b's policy", func(t *testing.T) {
		msg := c.expectDenied(t, appsNS, privileged("privileged-b", "team-b"), "'isolate-workloads-tenant-b'", "[privileged-tolerating]",
			`node pool "tenant-b"`, `container "agent" is privileged`)
		if strings.Contains(msg, "isolate-workloads-tenant-a") {
			t.Errorf("tenant-a's policy denied a pod that does not tolerate its taint:\n%s", msg)
		}
		// Tolerating tenant-a's taint instead: tenant-a's policy denies.
		c.expectDenied(t, appsNS, privileged("privileged-a", "team-a"), "'isolate-workloads-tenant-a'", "[privileged-tolerating]", `node pool "tenant-a"`)
		// Tolerating one of tenant-b's two taints: neither pool's.
		oneTaint := rule2BadPod("privileged-one-taint")
		oneTaint.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}
		c.expectAdmitted(t, appsNS, oneTaint)
	})
	t.Run("privileged, labelled and pinned to tenant-b, tolerating every taint is admitted", func(t *testing.T) {
		// tenant-b's policy pins it to tenant-b's nodes, so tolerating
		// tenant-a's taint takes it nowhere near tenant-a's workloads.
		pod := rule2BadPod("privileged-pinned-b")
		pod.Labels = templates["team-b"].Labels
		pod.Spec.Affinity, pod.Spec.NodeSelector = templates["team-b"].Spec.Affinity, templates["team-b"].Spec.NodeSelector
		pod.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		c.expectAdmitted(t, appsNS, pod)
		// The same pod labelled for no pool is denied (by both policies;
		// the API server may name either).
		unlabelled := pod.DeepCopy()
		unlabelled.Name, unlabelled.Labels = "privileged-unlabelled", nil
		c.expectDenied(t, appsNS, unlabelled, "[privileged-tolerating]")
	})
}
