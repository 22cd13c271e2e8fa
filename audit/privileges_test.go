package audit

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func ptr[T any](v T) *T { return &v }

func TestPrivileges(t *testing.T) {
	path := field.NewPath("spec")
	container := func(sc *corev1.SecurityContext) corev1.PodSpec {
		return corev1.PodSpec{Containers: []corev1.Container{{Name: "c", SecurityContext: sc}}}
	}
	cases := []struct {
		name      string
		spec      corev1.PodSpec
		wantField string
		wantWhy   string
	}{
		{"plain", corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}, "", ""},
		{"host-pid", corev1.PodSpec{HostPID: true}, "spec.hostPID", "hostPID"},
		{"host-network", corev1.PodSpec{HostNetwork: true}, "spec.hostNetwork", "hostNetwork"},
		{"host-ipc", corev1.PodSpec{HostIPC: true}, "spec.hostIPC", "hostIPC"},
		{"host-path", corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}},
			"spec.volumes[0].hostPath", `hostPath volume "v" (/)`},
		{"privileged", container(&corev1.SecurityContext{Privileged: ptr(true)}), "spec.containers[0].securityContext.privileged", "is privileged"},
		{"privileged-false", container(&corev1.SecurityContext{Privileged: ptr(false)}), "", ""},
		{"escalation", container(&corev1.SecurityContext{AllowPrivilegeEscalation: ptr(true)}), "spec.containers[0].securityContext.allowPrivilegeEscalation", "allows privilege escalation"},
		{"default-caps-only", container(&corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE", "CAP_CHOWN"}}}), "", ""},
		{"extra-cap", container(&corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"cap_sys_admin"}}}), "spec.containers[0].securityContext.capabilities.add", "SYS_ADMIN"},
		{"root-writable", container(&corev1.SecurityContext{RunAsUser: ptr(int64(0))}), "spec.containers[0].securityContext.runAsUser", "UID 0"},
		{"root-read-only", container(&corev1.SecurityContext{RunAsUser: ptr(int64(0)), ReadOnlyRootFilesystem: ptr(true)}), "", ""},
		{"pod-root-container-overrides", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr(int64(0))},
			Containers: []corev1.Container{{Name: "c", SecurityContext: &corev1.SecurityContext{RunAsUser: ptr(int64(1000))}}}}, "", ""},
		{"pod-root", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr(int64(0))}, InitContainers: []corev1.Container{{Name: "init"}}},
			"spec.initContainers[0].securityContext.runAsUser", `container "init" runs as UID 0`},
	}
	for _, tc := range cases {
		got := Privileges(tc.spec, path)
		if tc.wantField == "" {
			if len(got) != 0 {
				t.Errorf("%s: want none, got %+v", tc.name, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Field != tc.wantField || !strings.Contains(got[0].Reason, tc.wantWhy) {
			t.Errorf("%s: got %+v, want one at %s naming %q", tc.name, got, tc.wantField, tc.wantWhy)
		}
	}
}
