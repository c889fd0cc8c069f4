package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
)

func TestParseCopyArgs(t *testing.T) {
	for _, tc := range []struct {
		name, src, dst string
		want           env.CopyOptions
		err            string
	}{
		{"out", "api:/etc/app.ini", "./app.ini", env.CopyOptions{Service: "api", ContainerPath: "/etc/app.ini", HostPath: "./app.ini"}, ""},
		{"in", "conf", "db:/etc/conf", env.CopyOptions{Service: "db", ContainerPath: "/etc/conf", HostPath: "conf", ToContainer: true}, ""},
		{"host path with a colon", "./a:b", "web:/tmp", env.CopyOptions{Service: "web", ContainerPath: "/tmp", HostPath: "./a:b", ToContainer: true}, ""},
		{"both containers", "api:/a", "db:/b", env.CopyOptions{}, "one side only"},
		{"no container", "a", "b", env.CopyOptions{}, "SERVICE:PATH"},
		{"empty container path", "api:", "b", env.CopyOptions{}, "both paths"},
		{"stdout", "api:/a", "-", env.CopyOptions{Service: "api", ContainerPath: "/a", HostPath: "-"}, ""},
		{"stdin", "-", "api:/a", env.CopyOptions{Service: "api", ContainerPath: "/a", HostPath: "-", ToContainer: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCopyArgs(tc.src, tc.dst)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, errOut, code := runCLI(t, t.TempDir(), "cp", "a", "b"); code != ExitUsage {
		t.Errorf("cp a b: code %d, want %d: %s", code, ExitUsage, errOut)
	}
}
