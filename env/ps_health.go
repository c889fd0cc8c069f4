package env

import (
	"context"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// HealthByProbe is ServiceStatus.HealthBy when the verdict is devenv's own
// run of the service's health test rather than the engine's.
const HealthByProbe = "devenv"

// settleStarting makes ps agree with up. Up calls a service healthy as soon
// as its own health test passes (the early probe), while the engine keeps
// saying "starting" until its first scheduled check, up to a whole interval
// later on engines without start_interval. So when the engine says
// "starting" for a running container whose health check envs.yaml declares,
// ps runs that test once, as up's probe does, and reports healthy when it
// passes (HealthBy says so). Anything else keeps the engine's verdict.
func settleStarting(ctx context.Context, eng engine.Engine, p *config.Project, st *ServiceStatus, id string) {
	if st.State != "running" || st.Health != "starting" {
		return
	}
	s, ok := p.Services[st.Service]
	if !ok || !declared(s.Healthcheck) {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, s.Healthcheck.Timeout)
	defer cancel()
	if code, _, err := eng.ContainerExec(pctx, id, probeCommand(s.Healthcheck)); err == nil && code == 0 {
		st.Health, st.HealthBy = "healthy", HealthByProbe
	}
}

// probeCommand is the exec form of a declared health test.
func probeCommand(h *config.Healthcheck) []string {
	if h.Test[0] == "CMD-SHELL" {
		return []string{"/bin/sh", "-c", h.Test[1]}
	}
	return h.Test[1:]
}
