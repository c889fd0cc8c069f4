package engine

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// TestHealthLogOfThisRunOnly: after a restart the engine still lists the
// probes of the earlier run; their output must not explain the new run.
func TestHealthLogOfThisRunOnly(t *testing.T) {
	started := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	inspect := func(probeStart time.Time) container.InspectResponse {
		return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{
			ID: "c1", Name: "/p-web",
			State: &container.State{Status: "running", StartedAt: started.Format(time.RFC3339Nano),
				Health: &container.Health{Status: "starting", Log: []*container.HealthcheckResult{
					{Start: probeStart, Output: "dial tcp: connection refused"},
				}}},
		}}
	}
	if got := fromInspect(inspect(started.Add(-time.Minute))).HealthLog; got != "" {
		t.Errorf("a probe from before this start: HealthLog %q, want none", got)
	}
	if got := fromInspect(inspect(started.Add(time.Second))).HealthLog; got != "dial tcp: connection refused" {
		t.Errorf("a probe of this run: HealthLog %q", got)
	}
}
