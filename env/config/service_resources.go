package config

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"gopkg.in/yaml.v3"
)

var (
	deployKeys    = []string{"endpoint_mode", "labels", "mode", "placement", "replicas", "resources", "restart_policy", "rollback_config", "update_config"}
	resourcesKeys = []string{"limits", "reservations"}
	limitsKeys    = []string{"cpus", "memory", "pids"}
	reserveKeys   = []string{"cpus", "devices", "generic_resources", "memory"}
	restartPKeys  = []string{"condition", "delay", "max_attempts", "window"}
)

// swarmOnly says why each deploy key without a local meaning is ignored.
var swarmOnly = map[string]string{
	"endpoint_mode":   "it chooses how a swarm load-balances a service",
	"labels":          "it labels the swarm service, not the container (use labels: for that)",
	"placement":       "it places replicas on swarm nodes",
	"rollback_config": "it configures swarm rollbacks",
	"update_config":   "it configures swarm rolling updates",
}

// resources parses the memory and CPU keys, then deploy:, which may set the
// same values (they must then agree).
func (p *parser) resources(s *Service, f map[string]*yaml.Node, what string) {
	c := &s.ContainerSettings
	for key, dst := range map[string]*int64{
		"shm_size": &c.ShmSize, "mem_limit": &c.MemLimit, "mem_reservation": &c.MemReservation,
	} {
		if v := f[key]; v != nil {
			*dst = p.byteSize(v, what+" "+key, false)
		}
	}
	if v := f["memswap_limit"]; v != nil {
		c.MemswapLimit = p.byteSize(v, what+" memswap_limit", true)
	}
	if v := f["cpus"]; v != nil {
		c.NanoCPUs = p.cpus(v, what+" cpus")
	}
	if v := f["cpu_shares"]; v != nil {
		c.CPUShares = p.integer(v, what+" cpu_shares", 0)
	}
	if v := f["pids_limit"]; v != nil {
		n := p.integer(v, what+" pids_limit", -1)
		c.PidsLimit = &n
	}
	if v := f["oom_score_adj"]; v != nil {
		n := p.integer(v, what+" oom_score_adj", -1000)
		if n > 1000 {
			p.errorf(v, "%s oom_score_adj %d is out of range; use -1000 to 1000", what, n)
		}
		c.OomScoreAdj = int(n)
	}
	if v := f["deploy"]; v != nil {
		p.deploy(s, v, f["restart"] != nil, what+" deploy")
	}
}

// deploy parses deploy:. Keys meaningful on one engine are applied; the
// swarm-only ones are accepted with a warning each.
func (p *parser) deploy(s *Service, n *yaml.Node, hasRestart bool, what string) {
	if isNull(n) || !p.mapping(n, what) {
		return
	}
	f := p.fields(n, what, deployKeys, true)
	for _, key := range sortedKeys(f) {
		if why, ok := swarmOnly[key]; ok {
			p.warnf(f[key], "%s %s is ignored: %s, and devenv runs on one local engine", what, key, why)
		}
	}
	if v := f["mode"]; v != nil {
		if m, ok := p.str(v, what+" mode"); ok && m != "replicated" && m != "" {
			p.warnf(v, "%s mode %q is ignored: devenv runs one container per service on one local engine", what, m)
		}
	}
	if v := f["replicas"]; v != nil {
		p.replicas(v, what+" replicas")
	}
	if v := f["resources"]; v != nil && !isNull(v) && p.mapping(v, what+" resources") {
		rf := p.fields(v, what+" resources", resourcesKeys, true)
		if l := rf["limits"]; l != nil {
			p.limits(&s.ContainerSettings, l, what+" resources limits")
		}
		if r := rf["reservations"]; r != nil {
			p.reservations(&s.ContainerSettings, r, what+" resources reservations")
		}
	}
	if v := f["restart_policy"]; v != nil {
		r := p.restartPolicy(v, what+" restart_policy")
		if !hasRestart && r != "" {
			s.Restart = r
		}
	}
}

// limits applies deploy.resources.limits.
func (p *parser) limits(c *ContainerSettings, n *yaml.Node, what string) {
	if isNull(n) || !p.mapping(n, what) {
		return
	}
	f := p.fields(n, what, limitsKeys, true)
	if v := f["cpus"]; v != nil {
		p.agree(v, what+" cpus", "cpus", &c.NanoCPUs, p.cpus(v, what+" cpus"))
	}
	if v := f["memory"]; v != nil {
		p.agree(v, what+" memory", "mem_limit", &c.MemLimit, p.byteSize(v, what+" memory", false))
	}
	if v := f["pids"]; v != nil {
		n := p.integer(v, what+" pids", -1)
		if c.PidsLimit != nil && *c.PidsLimit != n {
			p.errorf(v, "%s pids %d disagrees with pids_limit %d; keep one of them", what, n, *c.PidsLimit)
		}
		c.PidsLimit = &n
	}
}

// reservations applies deploy.resources.reservations.memory; the rest
// reserves resources for a scheduler and is accepted with a warning.
func (p *parser) reservations(c *ContainerSettings, n *yaml.Node, what string) {
	if isNull(n) || !p.mapping(n, what) {
		return
	}
	f := p.fields(n, what, reserveKeys, true)
	if v := f["memory"]; v != nil {
		p.agree(v, what+" memory", "mem_reservation", &c.MemReservation, p.byteSize(v, what+" memory", false))
	}
	if v := f["cpus"]; v != nil {
		p.cpus(v, what+" cpus")
		p.warnf(v, "%s cpus is ignored: a local engine has no CPU reservation (use cpus: or cpu_shares: to limit or weight CPU)", what)
	}
	for _, key := range []string{"devices", "generic_resources"} {
		if v := f[key]; v != nil {
			p.warnf(v, "%s %s is ignored: devenv does not request devices from the engine (use devices: to map a host device)", what, key)
		}
	}
}

// agree sets *dst to v, reporting a disagreement with the service key other
// that already set it.
func (p *parser) agree(n *yaml.Node, what, other string, dst *int64, v int64) {
	if *dst != 0 && *dst != v {
		p.errorf(n, "%s disagrees with %s; keep one of them", what, other)
	}
	*dst = v
}

// restartPolicy maps deploy.restart_policy onto a restart: value.
func (p *parser) restartPolicy(n *yaml.Node, what string) string {
	if isNull(n) || !p.mapping(n, what) {
		return ""
	}
	f := p.fields(n, what, restartPKeys, true)
	for _, key := range []string{"delay", "window"} {
		if v := f[key]; v != nil {
			var d time.Duration
			p.duration(v, what+" "+key, &d, true)
			p.warnf(v, "%s %s is ignored: the engine restarts at once, backing off on its own", what, key)
		}
	}
	cond := "any"
	if v := f["condition"]; v != nil {
		cond, _ = p.str(v, what+" condition")
	}
	switch cond {
	case "none":
		return "no"
	case "any":
		return "always"
	case "on-failure":
		if v := f["max_attempts"]; v != nil {
			return "on-failure:" + strconv.FormatInt(p.integer(v, what+" max_attempts", 0), 10)
		}
		return "on-failure"
	}
	p.errorf(f["condition"], "%s condition %q is invalid; use none, on-failure or any", what, cond)
	return ""
}

// replicas accepts 1 (and 0 is refused as well as more, for now).
func (p *parser) replicas(n *yaml.Node, what string) {
	if r := p.integer(n, what, 0); r != 1 && !p.failed[n] {
		p.errorf(n, "%s %d is not supported yet: devenv runs exactly one container per service; set 1 or remove it", what, r)
	}
}

// integer parses a whole number of at least min.
func (p *parser) integer(n *yaml.Node, what string, min int64) int64 {
	s, ok := p.str(n, what)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < min {
		p.errorf(n, "%s %q must be a whole number of at least %d", what, s, min)
		return 0
	}
	return v
}

// byteSize parses a size such as 512m, 1gb or 1048576 (bytes); -1 is
// allowed with unlimited.
func (p *parser) byteSize(n *yaml.Node, what string, unlimited bool) int64 {
	s, ok := p.str(n, what)
	if !ok {
		return 0
	}
	if unlimited && s == "-1" {
		return -1
	}
	v, err := units.RAMInBytes(strings.TrimSpace(s))
	if err != nil || v < 0 || s == "" {
		p.errorf(n, "%s %q is not a size; write bytes or a number with b, k, m or g, e.g. 512m or 2g", what, s)
		return 0
	}
	return v
}

// cpus parses a number of CPUs such as 0.5 into nano-CPUs.
func (p *parser) cpus(n *yaml.Node, what string) int64 {
	s, ok := p.str(n, what)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1<<20 || math.IsNaN(f) {
		p.errorf(n, "%s %q must be a number of CPUs, e.g. 0.5 or 2", what, s)
		return 0
	}
	return int64(math.Round(f * 1e9))
}
