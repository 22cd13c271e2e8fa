package audit

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Privilege is one way a pod gets more power over its node than a plain
// container, and the field that grants it.
type Privilege struct {
	Field  string
	Reason string
}

// defaultCapabilities is the set container runtimes (containerd, CRI-O,
// Docker) grant by default; adding one of these adds nothing.
var defaultCapabilities = []string{
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

// Privileges lists the elevated privileges of a pod spec at path.
func Privileges(spec corev1.PodSpec, path *field.Path) []Privilege {
	var out []Privilege
	add := func(p *field.Path, reason string) { out = append(out, Privilege{Field: p.String(), Reason: reason}) }
	if spec.HostPID {
		add(path.Child("hostPID"), "hostPID")
	}
	if spec.HostNetwork {
		add(path.Child("hostNetwork"), "hostNetwork")
	}
	if spec.HostIPC {
		add(path.Child("hostIPC"), "hostIPC")
	}
	for i, v := range spec.Volumes {
		if v.HostPath != nil {
			add(path.Child("volumes").Index(i).Child("hostPath"), fmt.Sprintf("hostPath volume %q (%s)", v.Name, v.HostPath.Path))
		}
	}
	podRunsAsRoot := spec.SecurityContext != nil && spec.SecurityContext.RunAsUser != nil && *spec.SecurityContext.RunAsUser == 0
	for _, list := range []struct {
		name       string
		containers []corev1.Container
	}{{"initContainers", spec.InitContainers}, {"containers", spec.Containers}} {
		for i, c := range list.containers {
			cp := path.Child(list.name).Index(i)
			out = append(out, containerPrivileges(c, cp, podRunsAsRoot)...)
		}
	}
	return out
}

func containerPrivileges(c corev1.Container, path *field.Path, podRunsAsRoot bool) []Privilege {
	var out []Privilege
	sc := c.SecurityContext
	scPath := path.Child("securityContext")
	name := fmt.Sprintf("container %q", c.Name)
	if sc != nil && sc.Privileged != nil && *sc.Privileged {
		out = append(out, Privilege{scPath.Child("privileged").String(), name + " is privileged"})
	}
	if sc != nil && sc.AllowPrivilegeEscalation != nil && *sc.AllowPrivilegeEscalation {
		out = append(out, Privilege{scPath.Child("allowPrivilegeEscalation").String(), name + " allows privilege escalation"})
	}
	if sc != nil && sc.Capabilities != nil {
		var extra []string
		for _, capability := range sc.Capabilities.Add {
			name := strings.TrimPrefix(strings.ToUpper(string(capability)), "CAP_")
			if !slices.Contains(defaultCapabilities, name) {
				extra = append(extra, name)
			}
		}
		if len(extra) > 0 {
			out = append(out, Privilege{scPath.Child("capabilities", "add").String(),
				fmt.Sprintf("%s adds capabilities %s", name, strings.Join(extra, ", "))})
		}
	}
	runsAsRoot := podRunsAsRoot
	if sc != nil && sc.RunAsUser != nil {
		runsAsRoot = *sc.RunAsUser == 0
	}
	readOnlyRoot := sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
	if runsAsRoot && !readOnlyRoot {
		out = append(out, Privilege{scPath.Child("runAsUser").String(), name + " runs as UID 0 with a writable root filesystem"})
	}
	return out
}

// Reasons joins the reasons of privileges for a message.
func Reasons(ps []Privilege) string {
	rs := make([]string, 0, len(ps))
	for _, p := range ps {
		rs = append(rs, p.Reason)
	}
	return strings.Join(rs, "; ")
}
