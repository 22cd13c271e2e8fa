package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the pods the way kubectl does, violations first, then
// the findings with their reasons and a summary line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tPOD\tNODE\tPOOL\tISOLATED\tVERDICT")
	for _, p := range r.Pods {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\n", p.Namespace, p.Pod, p.Node, p.Pool, p.Isolated, p.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(w, "\nFINDINGS")
		for _, f := range r.Findings {
			subject := "node " + f.Node
			if f.Pod != "" {
				subject = fmt.Sprintf("pod %s/%s on %s", f.Namespace, f.Pod, f.Node)
			}
			fmt.Fprintf(w, "%s %s: %s: %s\n", f.Severity, f.Check, subject, f.Reason)
		}
	}
	s := r.Summary
	_, err := fmt.Fprintf(w, "\n%s checked, %d isolated, %s in %s, %s, %s\n",
		count(s.Pods, "pod"), s.IsolatedPods, count(s.DedicatedNodes, "dedicated node"), r.poolNames(),
		count(s.Violations, "violation"), count(s.Warnings, "warning"))
	return err
}

// poolNames is `pool "a"`, or `pools "a", "b"`.
func (r *Report) poolNames() string {
	if len(r.Pools) == 1 {
		return fmt.Sprintf("pool %q", r.Pools[0])
	}
	names := ""
	for i, p := range r.Pools {
		if i > 0 {
			names += ", "
		}
		names += fmt.Sprintf("%q", p)
	}
	return "pools " + names
}

// WriteJSON prints the report for machines.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
