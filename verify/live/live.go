package live

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/isolate-workloads/isolate-workloads/verify"
)

// pageSize is how many objects one list request asks for; the API server
// hands out the rest through continue tokens. A variable for the test.
var pageSize = 500

// requestTimeout bounds each request, so an unreachable server fails the
// command instead of hanging it.
const requestTimeout = 30 * time.Second

// Source says where the cluster is: a kubeconfig file and optionally one of
// its contexts, or the Pod's own ServiceAccount when InCluster is set.
type Source struct {
	Kubeconfig string
	Context    string
	InCluster  bool
}

// String names the source in messages.
func (s Source) String() string {
	switch {
	case s.InCluster:
		return "the in-cluster ServiceAccount"
	case s.Context != "":
		return fmt.Sprintf("context %q of %s", s.Context, s.Kubeconfig)
	}
	return s.Kubeconfig
}

// RESTConfig loads the client configuration of the source.
func (s Source) RESTConfig() (*rest.Config, error) {
	if s.InCluster {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("--in-cluster: %w", err)
		}
		return cfg, nil
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: s.Kubeconfig}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: s.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig %s: %w", s.Kubeconfig, err)
	}
	return cfg, nil
}

// Read lists every Node and Pod of the cluster into a ClusterState. Its
// errors say what failed and what to do: unreachable server, rejected
// credentials, or RBAC forbidding the list.
func Read(ctx context.Context, s Source) (*verify.ClusterState, error) {
	cfg, err := s.RESTConfig()
	if err != nil {
		return nil, err
	}
	client, err := coreClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	state := &verify.ClusterState{}
	// Pods first: a node that joins while the lists run (an autoscaler
	// adding one for pending pods) is then listed with the pods bound to it.
	err = list(ctx, client, "pods", func() *corev1.PodList { return &corev1.PodList{} },
		func(l *corev1.PodList) { state.Pods = append(state.Pods, l.Items...) })
	if err == nil {
		err = list(ctx, client, "nodes", func() *corev1.NodeList { return &corev1.NodeList{} },
			func(l *corev1.NodeList) { state.Nodes = append(state.Nodes, l.Items...) })
	}
	if err != nil {
		return nil, explain(err, s, cfg.Host)
	}
	return state, nil
}

// coreClient is a REST client for /api/v1 that speaks protobuf, the
// API server's compact encoding, and falls back to JSON. Its scheme knows
// core/v1 only (the lists, and the Status of an error), and is made here
// rather than at package init, which every run of the binary would pay.
func coreClient(cfg *rest.Config) (*rest.RESTClient, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.APIPath = "/api"
	cfg.GroupVersion = &corev1.SchemeGroupVersion
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cfg.UserAgent = "isolate-workloads-verify"
	if cfg.Timeout == 0 {
		cfg.Timeout = requestTimeout
	}
	return rest.RESTClientFor(cfg)
}

// list pages through a cluster-wide list, handing each page to add.
func list[L interface {
	runtime.Object
	GetContinue() string
}](ctx context.Context, client *rest.RESTClient, resource string, newPage func() L, add func(L)) error {
	token := ""
	for {
		req := client.Get().Resource(resource).Param("limit", strconv.Itoa(pageSize))
		if token != "" {
			req = req.Param("continue", token)
		}
		page := newPage()
		if err := req.Do(ctx).Into(page); err != nil {
			return &listError{resource: resource, err: err}
		}
		add(page)
		if token = page.GetContinue(); token == "" {
			return nil
		}
	}
}

type listError struct {
	resource string
	err      error
}

func (e *listError) Error() string { return fmt.Sprintf("listing %s: %v", e.resource, e.err) }
func (e *listError) Unwrap() error { return e.err }

// explain turns a failed list into a message that says what to do.
func explain(err error, s Source, host string) error {
	var le *listError
	resource := "pods and nodes"
	if errors.As(err, &le) {
		resource = le.resource
	}
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the API server at %s forbids listing %s with the credentials of %s: grant get and list on pods and nodes cluster-wide (see examples/verify-job/rbac.yaml): %v", host, resource, s, err)
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server at %s rejected the credentials of %s (expired or invalid token or certificate): %v", host, s, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("cannot reach the API server at %s (from %s): %v", host, s, ue.Err)
	}
	return fmt.Errorf("the API server at %s: %w", host, err)
}
