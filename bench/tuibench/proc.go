package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
var clockTicks = func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if v, perr := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && perr == nil && v > 0 {
		return float64(v)
	}
	return 100
}()

// cpuSeconds is the user+system CPU time a process has used, its reaped
// children included.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces; fields
	// after it start at field 3 (state): utime is 14, cstime 17.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks float64
	for _, s := range f[11:15] {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return ticks / clockTicks, nil
}

// findProcess returns the PID of the first process whose command name is
// comm, or 0.
func findProcess(comm string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(b)) == comm {
			return pid
		}
	}
	return 0
}

// usage is the CPU each watched process used over one window.
type usage struct {
	wall time.Duration
	cpu  map[string]float64 // seconds, by the name the window was given
}

// percent is a process's CPU over the window as a percentage of one core.
func (u usage) percent(name string) float64 { return 100 * u.cpu[name] / u.wall.Seconds() }

// measure sleeps for d and returns the CPU seconds each process in pids
// used meanwhile. A process that ends within the window is an error.
func measure(ctx context.Context, d time.Duration, pids map[string]int) (usage, error) {
	before := map[string]float64{}
	for name, pid := range pids {
		v, err := cpuSeconds(pid)
		if err != nil {
			return usage{}, fmt.Errorf("%s: %w", name, err)
		}
		before[name] = v
	}
	start := time.Now()
	if err := sleep(ctx, d); err != nil {
		return usage{}, err
	}
	u := usage{cpu: map[string]float64{}}
	for name, pid := range pids {
		v, err := cpuSeconds(pid)
		if err != nil {
			return usage{}, fmt.Errorf("%s ended during the window: %w", name, err)
		}
		u.cpu[name] = v - before[name]
	}
	u.wall = time.Since(start)
	return u, nil
}
