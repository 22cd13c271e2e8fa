package policytest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/configtest"
)

// The policy's tests run in two places: on a real API server (enforcement,
// in the main module) and with the API server's admission code in process
// (oracles/enforcement, a module of its own so that k8s.io/apiserver stays
// out of the binary's go.mod). Both decide the same pod specs for the same
// pool, so both read them from here.

// PoolConfig is the pool of the policy tests: two guarded taints, one of
// them without a value, a PreferNoSchedule taint the policy leaves alone, and
// two labels.
const PoolConfig = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: untrusted
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  nodePool:
    name: untrusted
    taints:
    - {key: workload, value: untrusted, effect: NoSchedule}
    - {key: sandbox.example.com/runtime, effect: NoExecute}
    - {key: spot, value: "true", effect: PreferNoSchedule}
    labels:
      workload: untrusted
      sandbox.example.com/runtime: gvisor
  selectors:
  - labelSelector: isolation=untrusted
  enforcement:
    validationActions: [Deny]
`

// Namespace is where the tests create their pods; AuditDecision audits a pod
// as if it were there.
const Namespace = "apps"

// Config loads PoolConfig.
func Config(t testing.TB) *config.WorkloadIsolation {
	t.Helper()
	return configtest.Load(t, PoolConfig)
}

// AgreementSpecs returns the table of cases a generator could miss, then 300
// random pod specs from a fixed seed: the same list on every run and in both
// modules.
func AgreementSpecs() []corev1.PodSpec {
	specs := agreementTable()
	rng := rand.New(rand.NewPCG(13, 2026))
	for range 300 {
		specs = append(specs, randomPodSpec(rng))
	}
	return specs
}

// AuditDecision runs the audit on the pod as an unselected workload: a
// privilegedTolerating finding is its "privileged and tolerates the pool".
func AuditDecision(t testing.TB, auditor *audit.Auditor, pod *corev1.Pod) (bool, string) {
	t.Helper()
	obj, err := fn.ParseKubeObject([]byte(fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: %s\n", pod.Name, Namespace)))
	if err != nil {
		t.Fatal(err)
	}
	path := field.NewPath("spec")
	for _, f := range auditor.Run([]audit.Workload{{Object: obj, Path: path, Spec: pod.Spec}}) {
		if f.Check == audit.CheckPrivilegedTolerating {
			return true, audit.Reasons(audit.Privileges(pod.Spec, path))
		}
	}
	return false, ""
}

// Describe prints what of a pod spec the policy and the audit look at, for
// the message of a row they disagree on.
func Describe(spec corev1.PodSpec) string {
	return fmt.Sprintf("tolerations %+v\nhostPID %v hostNetwork %v hostIPC %v volumes %d securityContext %+v\ninit %s\ncontainers %s",
		spec.Tolerations, spec.HostPID, spec.HostNetwork, spec.HostIPC, len(spec.Volumes), spec.SecurityContext,
		describeContainers(spec.InitContainers), describeContainers(spec.Containers))
}

func describeContainers(cs []corev1.Container) string {
	var out []string
	for _, c := range cs {
		sc := "nil"
		if s := c.SecurityContext; s != nil {
			sc = fmt.Sprintf("privileged=%v ape=%v runAsUser=%v ro=%v caps=%v", deref(s.Privileged), deref(s.AllowPrivilegeEscalation), deref(s.RunAsUser), deref(s.ReadOnlyRootFilesystem), s.Capabilities)
		}
		out = append(out, c.Name+"{"+sc+"}")
	}
	return strings.Join(out, " ")
}

func deref[T any](p *T) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func container(name string, sc *corev1.SecurityContext) corev1.Container {
	return corev1.Container{Name: name, Image: "busybox", SecurityContext: sc}
}

// agreementTable holds the cases the random generator could miss: each
// toleration form against each taint, and each privilege alone.
func agreementTable() []corev1.PodSpec {
	wildcard := []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	privileged := []corev1.Container{container("app", &corev1.SecurityContext{Privileged: ptr(true)})}
	plain := []corev1.Container{container("app", nil)}
	tol := func(ts ...corev1.Toleration) []corev1.Toleration { return ts }
	var out []corev1.PodSpec
	for _, ts := range [][]corev1.Toleration{
		wildcard,
		tol(corev1.Toleration{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}),
		tol(corev1.Toleration{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}, corev1.Toleration{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}),
		tol(corev1.Toleration{Key: "workload", Value: "untrusted"}, corev1.Toleration{Key: "sandbox.example.com/runtime", Operator: corev1.TolerationOpExists}),
		tol(corev1.Toleration{Key: "workload", Operator: corev1.TolerationOpEqual, Value: "untrusted", Effect: corev1.TaintEffectNoSchedule}, corev1.Toleration{Key: "sandbox.example.com/runtime", Operator: corev1.TolerationOpEqual, Effect: corev1.TaintEffectNoExecute}),
		tol(corev1.Toleration{Key: "workload", Value: "other"}, corev1.Toleration{Key: "sandbox.example.com/runtime", Operator: corev1.TolerationOpExists}),
		tol(corev1.Toleration{Key: "workload", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}, corev1.Toleration{Key: "sandbox.example.com/runtime", Operator: corev1.TolerationOpExists}),
		tol(corev1.Toleration{Key: "workload", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectPreferNoSchedule}, corev1.Toleration{Key: "sandbox.example.com/runtime", Operator: corev1.TolerationOpExists}),
		nil,
	} {
		out = append(out, corev1.PodSpec{Tolerations: ts, Containers: privileged}, corev1.PodSpec{Tolerations: ts, Containers: plain})
	}
	root := int64(0)
	for _, spec := range []corev1.PodSpec{
		{HostPID: true, Containers: plain},
		{HostNetwork: true, Containers: plain},
		{HostIPC: true, Containers: plain},
		{Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run"}}}}, Containers: plain},
		{InitContainers: []corev1.Container{container("init", &corev1.SecurityContext{Privileged: ptr(true)})}, Containers: plain},
		{Containers: []corev1.Container{container("app", &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(true)})}},
		{Containers: []corev1.Container{container("app", &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CHOWN", "cap_net_raw"}}})}},
		{Containers: []corev1.Container{container("app", &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CHOWN", "cap_net_admin"}}})}},
		{SecurityContext: &corev1.PodSecurityContext{RunAsUser: &root}, Containers: plain},
		{SecurityContext: &corev1.PodSecurityContext{RunAsUser: &root}, Containers: []corev1.Container{container("app", &corev1.SecurityContext{RunAsUser: ptr(int64(1000))})}},
		{SecurityContext: &corev1.PodSecurityContext{RunAsUser: &root}, Containers: []corev1.Container{container("app", &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr(true)})}},
		{Containers: []corev1.Container{container("app", &corev1.SecurityContext{RunAsUser: &root})}},
		{Containers: []corev1.Container{container("app", &corev1.SecurityContext{Privileged: ptr(false), AllowPrivilegeEscalation: ptr(false)})}},
	} {
		spec.Tolerations = wildcard
		out = append(out, spec)
	}
	return out
}

var (
	tolerationKeys   = []string{"", "workload", "sandbox.example.com/runtime", "other"}
	tolerationValues = []string{"", "untrusted", "gvisor", "x"}
	tolerationEffect = []corev1.TaintEffect{"", corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute, corev1.TaintEffectPreferNoSchedule}
	capabilities     = []corev1.Capability{"CHOWN", "NET_ADMIN", "cap_sys_admin", "SYS_TIME", "net_raw", "CAP_KILL", "BPF"}
)

// randomPodSpec draws a valid pod spec: tolerations of every form, and each
// privilege at random, on init and app containers, with pod-level runAsUser.
func randomPodSpec(rng *rand.Rand) corev1.PodSpec {
	pick := func(n int) int { return rng.IntN(n) }
	chance := func(p float64) bool { return rng.Float64() < p }
	var spec corev1.PodSpec
	for range pick(4) {
		t := corev1.Toleration{Key: tolerationKeys[pick(len(tolerationKeys))], Effect: tolerationEffect[pick(len(tolerationEffect))]}
		switch {
		case t.Key == "" || chance(0.5):
			t.Operator = corev1.TolerationOpExists
		case chance(0.5):
			t.Operator = corev1.TolerationOpEqual
			t.Value = tolerationValues[pick(len(tolerationValues))]
		default:
			t.Value = tolerationValues[pick(len(tolerationValues))]
		}
		spec.Tolerations = append(spec.Tolerations, t)
	}
	spec.HostPID = chance(0.1)
	spec.HostNetwork = chance(0.1)
	spec.HostIPC = chance(0.1)
	if chance(0.1) {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc"}}})
	}
	if chance(0.2) {
		spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr(int64(pick(2)))}
	}
	randomContainer := func(name string) corev1.Container {
		c := container(name, nil)
		if chance(0.6) {
			sc := &corev1.SecurityContext{}
			if chance(0.15) {
				sc.Privileged = ptr(chance(0.7))
			}
			if chance(0.15) {
				sc.AllowPrivilegeEscalation = ptr(true)
			}
			if chance(0.3) {
				sc.RunAsUser = ptr(int64(pick(2)))
			}
			if chance(0.3) {
				sc.ReadOnlyRootFilesystem = ptr(chance(0.5))
			}
			if chance(0.2) {
				sc.Capabilities = &corev1.Capabilities{}
				for range 1 + pick(2) {
					sc.Capabilities.Add = append(sc.Capabilities.Add, capabilities[pick(len(capabilities))])
				}
			}
			c.SecurityContext = sc
		}
		return c
	}
	for i := range pick(2) {
		spec.InitContainers = append(spec.InitContainers, randomContainer(fmt.Sprintf("init%d", i)))
	}
	for i := range 1 + pick(2) {
		spec.Containers = append(spec.Containers, randomContainer(fmt.Sprintf("app%d", i)))
	}
	return spec
}
func ptr[T any](v T) *T { return &v }
