package config

import (
	"strconv"
)

// format adds the container settings that are set to m, in the forms the
// parser reads back to the same values.
func (c *ContainerSettings) format(m map[string]any) {
	for key, v := range map[string]string{
		"container_name": c.ContainerName, "stop_signal": c.StopSignal, "platform": c.Platform,
		"mac_address": c.MacAddress, "ipc": c.IPC, "pid": c.PID, "runtime": c.OCIRuntime,
		"domainname": c.Domainname, "cpuset": c.Cpuset,
	} {
		if v != "" {
			m[key] = escapeDollars(v)
		}
	}
	for key, v := range map[string][]string{
		"expose": c.Expose, "cap_add": c.CapAdd, "cap_drop": c.CapDrop, "security_opt": c.SecurityOpt,
		"devices": c.Devices, "dns": c.DNS, "dns_search": c.DNSSearch, "dns_opt": c.DNSOpt, "group_add": c.GroupAdd,
	} {
		putList(m, key, v)
	}
	for key, v := range map[string]bool{
		"tty": c.TTY, "stdin_open": c.StdinOpen, "privileged": c.Privileged, "read_only": c.ReadOnly,
	} {
		if v {
			m[key] = true
		}
	}
	for key, v := range map[string]int64{
		"shm_size": c.ShmSize, "mem_limit": c.MemLimit, "mem_reservation": c.MemReservation,
		"memswap_limit": c.MemswapLimit, "cpu_shares": c.CPUShares, "oom_score_adj": int64(c.OomScoreAdj),
	} {
		if v != 0 {
			m[key] = v
		}
	}
	putMap(m, "sysctls", c.Sysctls)
	putMap(m, "annotations", c.Annotations)
	c.formatPointers(m)
}

// formatPointers adds the settings whose absence differs from their zero.
func (c *ContainerSettings) formatPointers(m map[string]any) {
	if c.NanoCPUs != 0 {
		m["cpus"] = strconv.FormatFloat(float64(c.NanoCPUs)/1e9, 'f', -1, 64)
	}
	if c.Init != nil {
		m["init"] = *c.Init
	}
	if c.PidsLimit != nil {
		m["pids_limit"] = *c.PidsLimit
	}
	if c.StopGracePeriod != nil {
		m["stop_grace_period"] = c.StopGracePeriod.String()
	}
	if len(c.Ulimits) > 0 {
		u := map[string]any{}
		for name, l := range c.Ulimits {
			u[name] = map[string]int64{"soft": l.Soft, "hard": l.Hard}
		}
		m["ulimits"] = u
	}
	if c.Logging != nil {
		l := map[string]any{}
		if c.Logging.Driver != "" {
			l["driver"] = escapeDollars(c.Logging.Driver)
		}
		putMap(l, "options", c.Logging.Options)
		m["logging"] = l
	}
}

// format renders one depends_on entry.
func (d Dependency) format() map[string]any {
	m := map[string]any{"condition": string(d.Condition)}
	if d.Restart {
		m["restart"] = true
	}
	if d.Optional {
		m["required"] = false
	}
	return m
}
