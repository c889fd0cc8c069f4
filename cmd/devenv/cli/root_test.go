package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Global flags work after the command too (devenv ps -p demo), except
// -f after logs, where it is --follow.
func TestGlobalFlagsAfterTheCommand(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: here\nservices:\n  web:\n    image: nginx:1\n")
	writeFile(t, dir, "other.yaml", "name: other\nservices:\n  api:\n    image: api:1\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // in stdout
		stderr string // in stderr
	}{
		{name: "-p after the command", args: []string{"ps", "-p", "Bad Name"}, code: ExitUsage, stderr: `--project-name "Bad Name"`},
		{name: "-f after the command", args: []string{"config", "-f", "other.yaml"}, stdout: "name: other"},
		{name: "-f before the command", args: []string{"-f", "other.yaml", "config"}, stdout: "name: other"},
		{name: "--progress after the command", args: []string{"down", "--progress", "fancy"}, code: ExitUsage, stderr: "--progress"},
		{name: "logs -f follows; --file is the file", args: []string{"logs", "-f", "--file", "nowhere.yaml"}, code: ExitUsage,
			stderr: "nowhere.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, dir, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tt.code, out, tt.stdout, errOut, tt.stderr)
			}
		})
	}
}

// Every command's help lists the global flags.
func TestEveryCommandsHelpListsTheGlobalFlags(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			path := strings.Fields(sub.CommandPath())[1:]
			out, errOut, code := runCLI(t, t.TempDir(), append(path, "--help")...)
			if code != 0 || !strings.Contains(out, "Global Flags:") || !strings.Contains(out, "--project-name") {
				t.Errorf("%s --help: exit %d, lacks the global flags:\n%s%s", sub.CommandPath(), code, out, errOut)
			}
			walk(sub)
		}
	}
	walk(newRoot(&globals{}))
}
