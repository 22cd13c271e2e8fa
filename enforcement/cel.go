package enforcement

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The CEL expressions of the policy, written out per pool: a policy has no
// parameters here, so the pool's taints and labels are literals, and each
// taint gets its own clause instead of a loop over a second list.
//
// Every optional field is read with `.?field.orValue(default)`: a field the
// pod leaves out is absent from `object`, and reading it directly is an
// error, which the failure policy would turn into a denial.

// quote writes s as a CEL string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// labelEquals is true when the pod carries label key with value.
func labelEquals(key, value string) string {
	return fmt.Sprintf("object.metadata.?labels[?%s].orValue('') == %s", quote(key), quote(value))
}

// tolerates is the toleration t tolerating taint, as
// corev1.Toleration.ToleratesTaint decides it: an empty effect matches every
// effect, an empty key (only valid with Exists) every key, and an empty
// operator means Equal. Lt and Gt tolerate nothing, as in the audit.
func tolerates(t string, taint corev1.Taint) string {
	op := t + ".?operator.orValue('')"
	return fmt.Sprintf("%s.?effect.orValue('') in ['', %s] && %s.?key.orValue('') in ['', %s] && "+
		"(%s == 'Exists' || (%s in ['', 'Equal'] && %s.?value.orValue('') == %s))",
		t, quote(string(taint.Effect)), t, quote(taint.Key), op, op, t, quote(taint.Value))
}

// toleratesEach is true when the list of tolerations tolerates every taint.
func toleratesEach(list string, taints []corev1.Taint) string {
	if len(taints) == 0 {
		return "true"
	}
	clauses := make([]string, len(taints))
	for i, taint := range taints {
		clauses[i] = fmt.Sprintf("%s.exists(t, %s)", list, tolerates("t", taint))
	}
	return strings.Join(clauses, " &&\n")
}

// guardedTaints are the taints that keep pods off the pool: a pod that
// tolerates them all may run there.
func guardedTaints(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

func taintString(t corev1.Taint) string {
	if t.Value == "" {
		return fmt.Sprintf("%s:%s", t.Key, t.Effect)
	}
	return fmt.Sprintf("%s=%s:%s", t.Key, t.Value, t.Effect)
}

// untoleratedTaints lists the pool's taints the pod does not tolerate, as
// "key=value:Effect".
func untoleratedTaints(taints []corev1.Taint) string {
	parts := make([]string, len(taints))
	for i, taint := range taints {
		parts[i] = fmt.Sprintf("(variables.tolerations.exists(t, %s) ? [] : [%s])", tolerates("t", taint), quote(taintString(taint)))
	}
	return strings.Join(parts, " +\n")
}

// unpinnedLabels lists the pool labels ("key=value") that neither the
// nodeSelector nor the required node affinity demands. nodeSelectorTerms are
// ORed, so a label pins the pod only when every term requires it; a term
// requires it with `key In [value]` (values all equal to the label's).
func unpinnedLabels(poolLabels map[string]string) string {
	keys := slices.Sorted(maps.Keys(poolLabels))
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := quote(poolLabels[k])
		pinned := fmt.Sprintf("object.spec.?nodeSelector[?%s].orValue('') == %s ||\n"+
			"  (size(variables.requiredTerms) > 0 && variables.requiredTerms.all(term, term.?matchExpressions.orValue([]).exists(e,\n"+
			"    e.key == %s && e.operator == 'In' && size(e.?values.orValue([])) > 0 && e.values.all(x, x == %s))))",
			quote(k), v, quote(k), v)
		parts[i] = fmt.Sprintf("((%s) ? [] : [%s])", pinned, quote(k+"="+poolLabels[k]))
	}
	return strings.Join(parts, " +\n")
}

// defaultCapabilities are the ones container runtimes grant anyway; adding
// them is no privilege. The list is the audit's (audit/privileges.go).
var defaultCapabilities = []string{
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

// privileges is the list of the pod's elevated privileges, worded and ordered
// as audit.Privileges words and orders them, so the audit's finding and the
// API server's denial name the same things. Ephemeral containers, which only
// exist on running pods, come last.
func privileges() string {
	podRunAsUser := "object.spec.?securityContext.?runAsUser.orValue(-1)"
	var parts []string
	for _, field := range []string{"hostPID", "hostNetwork", "hostIPC"} {
		parts = append(parts, fmt.Sprintf("(object.spec.?%s.orValue(false) ? [%s] : [])", field, quote(field)))
	}
	parts = append(parts, `object.spec.?volumes.orValue([]).filter(v, has(v.hostPath)).map(v, 'hostPath volume "' + v.name + '" (' + v.hostPath.path + ')')`)
	// The container lists have different types in the schema, so each gets
	// its own comprehension.
	for _, list := range []string{"object.spec.?initContainers.orValue([])", "object.spec.containers", "object.spec.?ephemeralContainers.orValue([])"} {
		parts = append(parts, fmt.Sprintf("%s.map(c, %s).filter(r, r != '')", list, containerPrivileges("c", podRunAsUser)))
	}
	return strings.Join(parts, " +\n")
}

// containerPrivileges is one container's privileges joined with "; ", or ”.
// A container inherits the pod's runAsUser unless it sets its own, as in the
// audit; readOnlyRootFilesystem exists only on the container.
func containerPrivileges(c, podRunAsUser string) string {
	sc := c + ".?securityContext"
	name := fmt.Sprintf(`'container "' + %s.name + '"`, c)
	// Wrapping the added capabilities in a one-element list and filtering it
	// computes them once, and yields a reason only when some are left.
	extraCaps := fmt.Sprintf("%s.?capabilities.?add.orValue([]).map(a, a.upperAscii()).map(a, a.startsWith('CAP_') ? a.substring(4) : a).filter(a, !(a in %s))",
		sc, quoteList(defaultCapabilities))
	return "(\n" + strings.Join([]string{
		fmt.Sprintf("    (%s.?privileged.orValue(false) ? [%s is privileged'] : [])", sc, name),
		fmt.Sprintf("    (%s.?allowPrivilegeEscalation.orValue(false) ? [%s allows privilege escalation'] : [])", sc, name),
		fmt.Sprintf("    [%s].filter(l, size(l) > 0).map(l, %s adds capabilities ' + l.join(', '))", extraCaps, name),
		fmt.Sprintf("    (%s.?runAsUser.orValue(%s) == 0 && !%s.?readOnlyRootFilesystem.orValue(false) ? [%s runs as UID 0 with a writable root filesystem'] : [])",
			sc, podRunAsUser, sc, name),
	}, " +\n") + "\n  ).join('; ')"
}
