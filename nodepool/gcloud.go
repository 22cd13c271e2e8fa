package nodepool

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// GcloudCommand returns the gcloud command that creates the pool: the same
// request as the AwsNodePool body, which the test suite proves with real
// gcloud.
func GcloudCommand(p config.NodePool, g *config.GKEOnAWS) string {
	args := []string{"gcloud", "container", "aws", "node-pools", "create", p.Name,
		"--cluster", g.Cluster,
		"--location", g.Location,
		"--node-version", g.NodeVersion,
		"--subnet-id", g.SubnetID,
		"--iam-instance-profile", g.IAMInstanceProfile,
		"--config-encryption-kms-key-arn", g.ConfigEncryptionKMSKeyARN,
		"--max-pods-per-node", fmt.Sprint(*g.MaxPodsPerNode),
		"--min-nodes", fmt.Sprint(*g.MinNodes),
		"--max-nodes", fmt.Sprint(*g.MaxNodes),
	}
	var taints []string
	for _, t := range p.Taints {
		taints = append(taints, fmt.Sprintf("%s=%s:%s", t.Key, t.Value, t.Effect))
	}
	args = append(args, "--node-taints", strings.Join(taints, ","))
	if len(p.Labels) > 0 {
		args = append(args, "--node-labels", joinMap(p.Labels))
	}
	if g.InstanceType != "" {
		args = append(args, "--instance-type", g.InstanceType)
	}
	if g.RootVolumeSizeGiB > 0 {
		args = append(args, "--root-volume-size", fmt.Sprint(g.RootVolumeSizeGiB))
	}
	if len(g.SecurityGroupIDs) > 0 {
		args = append(args, "--security-group-ids", strings.Join(g.SecurityGroupIDs, ","))
	}
	if len(g.Tags) > 0 {
		args = append(args, "--tags", joinMap(g.Tags))
	}
	if g.Project != "" {
		args = append(args, "--project", g.Project)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

func joinMap(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// shellSafe is compiled on first use, so runs that emit no gcloud command do not pay for it.
var shellSafe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`) })

// shellQuote quotes an argument for a POSIX shell: single quotes keep
// everything literal, and a single quote itself is closed, escaped, reopened.
func shellQuote(s string) string {
	if shellSafe().MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
