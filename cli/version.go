package cli

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// VersionInfo is what `version -o json` prints.
type VersionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
}

// versionInfo completes the stamped version from the build info: the
// module version when `go install ...@vX` built it unstamped, the commit
// when built from a checkout.
func versionInfo(stamped string) VersionInfo {
	info := VersionInfo{Version: stamped}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.GoVersion = bi.GoVersion
	if (stamped == "" || stamped == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && info.Commit != "" {
		info.Commit += "-dirty"
	}
	return info
}

func newVersionCommand(version string, stdio IO) *cobra.Command {
	output := "text"
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version (-o json: version, commit, Go version)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := oneOf("output", output, "text", "json"); err != nil {
				return err
			}
			info := versionInfo(version)
			if output == "text" {
				fmt.Fprintln(stdio.Stdout, info.Version)
				return nil
			}
			data, err := json.MarshalIndent(info, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintln(stdio.Stdout, string(data))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", output, "`FORMAT`: text or json")
	return cmd
}
