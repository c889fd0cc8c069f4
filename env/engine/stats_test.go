package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/devenv-dev/devenv/internal/testutil"
)

func TestCPUPercent(t *testing.T) {
	base := Stats{CPUTotal: 1e9, SystemCPU: 100e9, OnlineCPUs: 4}
	tests := []struct {
		name   string
		cur    Stats
		want   float64
		wantOK bool
	}{
		// 1 s of the container's CPU in 2 s of a 4-core host's (8 s of CPU time): half a core.
		{"half a core", Stats{CPUTotal: 2e9, SystemCPU: 108e9, OnlineCPUs: 4}, 50, true},
		{"idle", Stats{CPUTotal: 1e9, SystemCPU: 108e9, OnlineCPUs: 4}, 0, true},
		{"same sample", base, 0, false},
		{"restarted: counter went back", Stats{CPUTotal: 1e6, SystemCPU: 108e9, OnlineCPUs: 4}, 0, false},
		{"no cpu count", Stats{CPUTotal: 2e9, SystemCPU: 108e9}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CPUPercent(base, tt.cur)
			if ok != tt.wantOK || (ok && (got < tt.want-0.001 || got > tt.want+0.001)) {
				t.Errorf("CPUPercent = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestMemoryWithoutCache(t *testing.T) {
	tests := []struct {
		name string
		m    container.MemoryStats
		want uint64
	}{
		{"cgroup v1", container.MemoryStats{Usage: 100, Stats: map[string]uint64{"total_inactive_file": 30, "inactive_file": 10}}, 70},
		{"cgroup v2", container.MemoryStats{Usage: 100, Stats: map[string]uint64{"inactive_file": 10}}, 90},
		{"no stats", container.MemoryStats{Usage: 100}, 100},
		{"cache above usage", container.MemoryStats{Usage: 10, Stats: map[string]uint64{"inactive_file": 30}}, 10},
	}
	for _, tt := range tests {
		if got := memoryWithoutCache(tt.m); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestDockerContainerStats(t *testing.T) {
	d, project := integration(t)
	ctx := t.Context()
	id, err := d.ContainerCreate(ctx, ContainerSpec{
		Name: project + "-stats", Image: testImage, Labels: labels(project, "stats"),
		Env: []string{"TESTSVC_HEARTBEAT=10ms"},
	})
	must(t, err)
	must(t, d.ContainerStart(ctx, id))
	first, err := d.ContainerStats(ctx, id)
	must(t, err)
	if first.Memory == 0 || first.MemoryLimit == 0 || first.OnlineCPUs == 0 || first.SystemCPU == 0 || first.Read.IsZero() {
		t.Fatalf("first sample %+v: want memory, limit, CPUs, system CPU and a time", first)
	}
	var second Stats
	testutil.EventuallyNoError(t, "a sample after the first", func() error {
		second, err = d.ContainerStats(ctx, id)
		if err == nil && !second.Read.After(first.Read) {
			err = fmt.Errorf("sample read at %v, the first at %v", second.Read, first.Read)
		}
		return err
	})
	if second.CPUTotal < first.CPUTotal {
		t.Errorf("second sample %+v has less CPU than the first %+v", second, first)
	}
	pct, ok := CPUPercent(first, second)
	if !ok || pct < 0 || pct > float64(second.OnlineCPUs)*100 {
		t.Errorf("CPUPercent = %v, %v; want a share between 0 and %d00", pct, ok, second.OnlineCPUs)
	}
	if _, err := d.ContainerStats(ctx, project+"-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("stats of a missing container: %v, want ErrNotFound", err)
	}
}
