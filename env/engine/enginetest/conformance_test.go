package enginetest

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/env/engine"
)

// TestConformance holds the fake to what the real engine does (the same
// suite runs against the Docker Engine in package engine).
func TestConformance(t *testing.T) {
	RunConformance(t, func(t *testing.T) Target {
		f := New()
		f.OnStart = func(spec engine.ContainerSpec) Behaviour { return testsvc(f, spec) }
		tg := Target{
			Engine:      f,
			Project:     "conf",
			Image:       "devenv-test/testsvc:1",
			HealthImage: "devenv-test/testsvc-health:1",
			Remote:      "127.0.0.1:5000/conf/remote:1",
			Missing:     "127.0.0.1:5000/conf/missing:1",
		}
		f.AddImage(tg.Image)
		f.AddImageConfig(tg.HealthImage, ImageConfig{Healthcheck: healthSpec()})
		tg.RemoteDigest = f.AddRemoteImage(tg.Remote)
		return tg
	})
}

// testsvc plays examples/testsvc as spec configures it.
func testsvc(f *Fake, spec engine.ContainerSpec) Behaviour {
	b := Behaviour{
		HealthLog: "ok\n",
		Logs:      []engine.LogLine{{Text: `level=INFO msg=start listen=:8080`}},
	}
	if i := slices.Index(spec.Command, "-exit"); i >= 0 && i+1 < len(spec.Command) {
		b.Exit = true
		b.ExitCode, _ = strconv.Atoi(spec.Command[i+1])
	}
	sick := slices.Contains(spec.Env, "TESTSVC_UNHEALTHY=1")
	if sick {
		b.Health, b.HealthLog = "unhealthy", "503 Service Unavailable\n"
	}
	b.Exec = func(cmd []string) (int, string) {
		if len(cmd) < 2 || cmd[0] != "/app" || cmd[1] != "health" {
			return 127, "exec: not found\n"
		}
		if len(cmd) == 2 {
			if sick {
				return 1, "503 Service Unavailable\n"
			}
			return 0, "ok\n"
		}
		u, err := url.Parse(cmd[2])
		if err != nil {
			return 1, err.Error()
		}
		if host := u.Hostname(); host != "127.0.0.1" && !strings.HasPrefix(host, "localhost") {
			if _, ok := f.Resolve(spec.Name, host); !ok {
				return 1, "lookup " + host + ": no such host\n"
			}
		}
		return 0, "ok\n"
	}
	return b
}
