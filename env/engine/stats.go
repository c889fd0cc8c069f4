package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Stats is one sample of a container's resource counters. CPU use is a
// difference of two samples (CPUPercent); one sample alone says nothing of it.
type Stats struct {
	Read       time.Time // when the engine took the sample
	CPUTotal   uint64    // CPU time the container used since it started, in ns
	SystemCPU  uint64    // CPU time of the whole host, in ns (Linux engines)
	OnlineCPUs int
	// Memory is the memory in use, without the page cache that can be
	// reclaimed (inactive file pages), as `docker stats` shows it.
	Memory      uint64
	MemoryLimit uint64
}

// ContainerStats takes one sample of a running container's counters with a
// one-shot stats call: no stream, and the engine does not wait a second for a
// second sample of its own.
func (d *Docker) ContainerStats(ctx context.Context, id string) (Stats, error) {
	resp, err := d.cli.ContainerStatsOneShot(ctx, id)
	if err != nil {
		return Stats{}, fmt.Errorf("stats of container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	defer resp.Body.Close()
	var s statsFields
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return Stats{}, fmt.Errorf("stats of container %s: %w", id, err)
	}
	return statsFrom(s), nil
}

// statsFields is the part of the engine's stats answer that Stats needs;
// decoding only that keeps a sample cheap (no block I/O, network or
// per-CPU details).
type statsFields struct {
	Read     time.Time `json:"read"`
	CPUStats struct {
		CPUUsage struct {
			TotalUsage  uint64   `json:"total_usage"`
			PercpuUsage []uint64 `json:"percpu_usage"`
		} `json:"cpu_usage"`
		SystemUsage uint64 `json:"system_cpu_usage"`
		OnlineCPUs  uint32 `json:"online_cpus"`
	} `json:"cpu_stats"`
	MemoryStats container.MemoryStats `json:"memory_stats"`
}

func statsFrom(s statsFields) Stats {
	cpus := int(s.CPUStats.OnlineCPUs)
	if cpus == 0 {
		cpus = len(s.CPUStats.CPUUsage.PercpuUsage)
	}
	return Stats{
		Read:        s.Read,
		CPUTotal:    s.CPUStats.CPUUsage.TotalUsage,
		SystemCPU:   s.CPUStats.SystemUsage,
		OnlineCPUs:  cpus,
		Memory:      memoryWithoutCache(s.MemoryStats),
		MemoryLimit: s.MemoryStats.Limit,
	}
}

// memoryWithoutCache subtracts the inactive file pages: total_inactive_file
// under cgroup v1, inactive_file under v2.
func memoryWithoutCache(m container.MemoryStats) uint64 {
	cache, ok := m.Stats["total_inactive_file"]
	if !ok {
		cache = m.Stats["inactive_file"]
	}
	if cache < m.Usage {
		return m.Usage - cache
	}
	return m.Usage
}

// CPUPercent is the container's CPU use between two samples, where 100 is one
// core busy all the time. ok is false when the samples cannot be compared
// (the same sample, out of order, or a container restarted in between).
func CPUPercent(prev, cur Stats) (pct float64, ok bool) {
	if cur.CPUTotal < prev.CPUTotal || cur.SystemCPU <= prev.SystemCPU || cur.OnlineCPUs == 0 {
		return 0, false
	}
	used := float64(cur.CPUTotal - prev.CPUTotal)
	system := float64(cur.SystemCPU - prev.SystemCPU)
	return used / system * float64(cur.OnlineCPUs) * 100, true
}
