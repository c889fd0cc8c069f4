package config

import (
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ContainerSettings holds the compose keys that shape the container itself:
// its name, kernel capabilities and limits, namespaces, resources, logging.
// Zero values mean "the engine's default". It is embedded in Service.
type ContainerSettings struct {
	ContainerName   string            // "" means <project>-<service>
	Expose          []string          // PORT[-PORT][/PROTO], not published
	CapAdd          []string          // sorted, deduplicated
	CapDrop         []string          // sorted, deduplicated
	Sysctls         map[string]string // nil when none
	ShmSize         int64             // bytes
	Ulimits         map[string]Ulimit // by name (nofile, nproc, …)
	Init            *bool             // nil: the engine's default
	TTY             bool
	StdinOpen       bool
	StopSignal      string         // e.g. SIGTERM; "" is the image's
	StopGracePeriod *time.Duration // nil: 10 s
	Privileged      bool
	ReadOnly        bool
	SecurityOpt     []string
	Devices         []string // HOST[:CONTAINER[:PERMISSIONS]]
	DNS             []string
	DNSSearch       []string
	DNSOpt          []string
	GroupAdd        []string
	IPC             string // host, private, shareable, service:NAME, container:ID
	PID             string // host, service:NAME, container:ID
	Platform        string // os/arch[/variant]
	OCIRuntime      string // runtime:, e.g. runc
	MemLimit        int64  // bytes; mem_limit or deploy.resources.limits.memory
	MemReservation  int64  // bytes; mem_reservation or deploy.resources.reservations.memory
	MemswapLimit    int64  // bytes; -1 is unlimited swap
	NanoCPUs        int64  // cpus × 10⁹; cpus or deploy.resources.limits.cpus
	CPUShares       int64
	Cpuset          string
	PidsLimit       *int64 // nil: the engine's default
	OomScoreAdj     int
	Logging         *Logging // nil: the engine's default driver
	Domainname      string
	MacAddress      string
	Annotations     map[string]string // for the OCI runtime (engine API 1.43+); nil when none
}

// Ulimit is one entry of ulimits:; a single number sets both.
type Ulimit struct {
	Soft, Hard int64
}

// Logging is the logging: block.
type Logging struct {
	Driver  string            // "" is the engine's default
	Options map[string]string // nil when none
}

// runtimeKeys are the service keys this file parses; init adds them to
// serviceKeys so that the shared list stays as it is.
var runtimeKeys = []string{"annotations", "cap_add", "cap_drop", "container_name", "cpu_shares", "cpus", "cpuset",
	"deploy", "devices", "dns", "dns_opt", "dns_search", "domainname", "expose", "group_add", "init",
	"ipc", "logging", "mac_address", "mem_limit", "mem_reservation", "memswap_limit", "oom_score_adj",
	"pid", "pids_limit", "platform", "privileged", "read_only", "runtime", "scale", "security_opt",
	"shm_size", "stdin_open", "stop_grace_period", "stop_signal", "sysctls", "tty", "ulimits"}

var loggingKeys = []string{"driver", "options"}

func init() {
	serviceKeys = sortedUnion(serviceKeys, runtimeKeys)
	healthcheckKeys = sortedUnion(healthcheckKeys, []string{"start_interval"})
	dependencyKeys = sortedUnion(dependencyKeys, []string{"required", "restart"})
}

func sortedUnion(a, b []string) []string {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

var (
	containerNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)
	exposeRE        = regexp.MustCompile(`^[0-9]{1,5}(-[0-9]{1,5})?(/(tcp|udp|sctp))?$`)
	capRE           = regexp.MustCompile(`^[A-Za-z_]+$`)
	signalRE        = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+-]*|[0-9]{1,2})$`)
	cpusetRE        = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)
	platformRE      = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$`)
	macRE           = regexp.MustCompile(`^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$`)
	ulimitRE        = regexp.MustCompile(`^[a-z]+$`)
	namespaceRE     = regexp.MustCompile(`^(host|private|shareable|none|(service|container):[a-zA-Z0-9][a-zA-Z0-9_.-]*)?$`)
)

// containerSettings parses the keys of runtimeKeys into s.
func (p *parser) containerSettings(s *Service, f map[string]*yaml.Node, what string) {
	c := &s.ContainerSettings
	p.runtimeStrings(c, f, what)
	p.runtimeLists(c, f, what)
	p.runtimeFlags(c, f, what)
	if v := f["sysctls"]; v != nil {
		c.Sysctls = map[string]string{}
		p.keyValues(v, what+" sysctls", c.Sysctls, false)
		if len(c.Sysctls) == 0 {
			c.Sysctls = nil
		}
	}
	if v := f["annotations"]; v != nil {
		c.Annotations = map[string]string{}
		p.keyValues(v, what+" annotations", c.Annotations, false)
		if len(c.Annotations) == 0 {
			c.Annotations = nil
		}
	}
	if v := f["ulimits"]; v != nil {
		c.Ulimits = p.ulimits(v, what+" ulimits")
		if len(c.Ulimits) == 0 {
			c.Ulimits = nil
		}
	}
	if v := f["stop_grace_period"]; v != nil {
		var d time.Duration
		p.duration(v, what+" stop_grace_period", &d, true)
		c.StopGracePeriod = &d
	}
	if v := f["logging"]; v != nil {
		c.Logging = p.logging(v, what+" logging")
	}
	p.resources(s, f, what)
	if v := f["scale"]; v != nil {
		p.replicas(v, what+" scale")
	}
}

// runtimeStrings parses the keys whose value is one checked string.
func (p *parser) runtimeStrings(c *ContainerSettings, f map[string]*yaml.Node, what string) {
	for _, k := range []struct {
		key string
		dst *string
		re  *regexp.Regexp
		how string
	}{
		{"container_name", &c.ContainerName, containerNameRE, "use letters, digits, _, . and -, starting with a letter or digit"},
		{"stop_signal", &c.StopSignal, signalRE, "write a signal name such as SIGTERM or SIGINT"},
		{"platform", &c.Platform, platformRE, "write OS/ARCH[/VARIANT], e.g. linux/amd64"},
		{"mac_address", &c.MacAddress, macRE, "write six hex pairs, e.g. 02:42:ac:11:00:02"},
		{"ipc", &c.IPC, namespaceRE, "use host, private, shareable, none, service:NAME or container:NAME"},
		{"pid", &c.PID, namespaceRE, "use host, service:NAME or container:NAME"},
		{"runtime", &c.OCIRuntime, nil, ""},
		{"domainname", &c.Domainname, nil, ""},
		{"cpuset", &c.Cpuset, cpusetRE, "write CPU numbers and ranges, e.g. 0-2 or 0,3"},
	} {
		v := f[k.key]
		if v == nil {
			continue
		}
		s, ok := p.str(v, what+" "+k.key)
		if !ok {
			continue
		}
		if k.re != nil && s != "" && !k.re.MatchString(s) {
			p.errorf(v, "%s %s %q is invalid; %s", what, k.key, s, k.how)
			continue
		}
		*k.dst = s
	}
}

// runtimeLists parses the keys whose value is a list of strings (or one).
func (p *parser) runtimeLists(c *ContainerSettings, f map[string]*yaml.Node, what string) {
	for _, k := range []struct {
		key    string
		dst    *[]string
		single bool
		check  func(string) string // "" when fine, else how to fix it
	}{
		{"expose", &c.Expose, false, checkExpose},
		{"cap_add", &c.CapAdd, false, checkCap},
		{"cap_drop", &c.CapDrop, false, checkCap},
		{"security_opt", &c.SecurityOpt, false, nil},
		{"devices", &c.Devices, false, checkDevice},
		{"dns", &c.DNS, true, checkDNS},
		{"dns_search", &c.DNSSearch, true, nil},
		{"dns_opt", &c.DNSOpt, false, nil},
		{"group_add", &c.GroupAdd, false, nil},
	} {
		v := f[k.key]
		if v == nil {
			continue
		}
		vals, nodes := p.strList(v, what+" "+k.key, k.single)
		for i, s := range vals {
			if k.check == nil {
				continue
			}
			if how := k.check(s); how != "" {
				p.errorf(nodes[i], "%s %s entry %q is invalid; %s", what, k.key, s, how)
			}
		}
		if strings.HasPrefix(k.key, "cap_") {
			vals = normalizeCaps(vals)
		}
		if len(vals) > 0 {
			*k.dst = vals
		}
	}
}

// runtimeFlags parses the true/false keys.
func (p *parser) runtimeFlags(c *ContainerSettings, f map[string]*yaml.Node, what string) {
	for key, dst := range map[string]*bool{
		"tty": &c.TTY, "stdin_open": &c.StdinOpen, "privileged": &c.Privileged, "read_only": &c.ReadOnly,
	} {
		if v := f[key]; v != nil {
			*dst = p.boolean(v, what+" "+key)
		}
	}
	if v := f["init"]; v != nil {
		b := p.boolean(v, what+" init")
		c.Init = &b
	}
}

func checkExpose(s string) string {
	if !exposeRE.MatchString(s) {
		return "write PORT, PORT-PORT or PORT/PROTOCOL, e.g. 8080 or 5000-5010/udp"
	}
	lo, hi, _ := strings.Cut(strings.SplitN(s, "/", 2)[0], "-")
	if !validPortNumber(lo) || (hi != "" && (!validPortNumber(hi) || atoi(hi) < atoi(lo))) {
		return "ports are 1 to 65535, and a range goes from low to high"
	}
	return ""
}

func validPortNumber(s string) bool { n := atoi(s); return n >= 1 && n <= 65535 }

// atoi reads a run of digits (checked by a regexp before); too long is -1.
func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
		if n > 1<<20 {
			return -1
		}
	}
	return n
}

func checkDNS(s string) string {
	if _, err := netip.ParseAddr(s); err != nil {
		return "write the IP address of a DNS server, e.g. 1.1.1.1"
	}
	return ""
}

func checkCap(s string) string {
	if !capRE.MatchString(s) {
		return "write a capability name such as NET_ADMIN (or ALL)"
	}
	return ""
}

func checkDevice(s string) string {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) > 3 || !strings.HasPrefix(parts[0], "/"):
		return "write HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]] with absolute paths, e.g. /dev/fuse"
	case len(parts) >= 2 && !strings.HasPrefix(parts[1], "/"):
		return "the container path must be absolute"
	case len(parts) == 3 && strings.Trim(parts[2], "rwm") != "":
		return "permissions are letters of rwm"
	}
	return ""
}

// normalizeCaps writes capabilities as the engine lists them (CAP_ prefix
// dropped, upper case), sorted and without repeats.
func normalizeCaps(caps []string) []string {
	var out []string
	for _, c := range caps {
		c = strings.TrimPrefix(strings.ToUpper(c), "CAP_")
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// ulimits parses name: N or name: {soft: N, hard: N}.
func (p *parser) ulimits(n *yaml.Node, what string) map[string]Ulimit {
	if !p.mapping(n, what) {
		return nil
	}
	out := map[string]Ulimit{}
	for _, e := range p.pairs(n) {
		w := what + " " + e.Key
		if !ulimitRE.MatchString(e.Key) {
			p.errorf(e.KeyN, "%s: %q is not a ulimit name; use one such as nofile, nproc or memlock", what, e.Key)
			continue
		}
		if e.Value.Kind == yaml.ScalarNode {
			v := p.integer(e.Value, w, -1)
			out[e.Key] = Ulimit{Soft: v, Hard: v}
			continue
		}
		if !p.mapping(e.Value, w) {
			continue
		}
		f := p.fields(e.Value, w, []string{"hard", "soft"}, false)
		if f["soft"] == nil || f["hard"] == nil {
			p.errorf(e.Value, "%s needs both soft: and hard:, or a single number for both", w)
			continue
		}
		u := Ulimit{Soft: p.integer(f["soft"], w+" soft", -1), Hard: p.integer(f["hard"], w+" hard", -1)}
		if u.Hard >= 0 && (u.Soft > u.Hard || u.Soft < 0) {
			p.errorf(e.Value, "%s soft limit %d is above the hard limit %d; lower soft or raise hard", w, u.Soft, u.Hard)
		}
		out[e.Key] = u
	}
	return out
}

// logging parses {driver: NAME, options: {KEY: VALUE}}.
func (p *parser) logging(n *yaml.Node, what string) *Logging {
	if !p.mapping(n, what) {
		return nil
	}
	f := p.fields(n, what, loggingKeys, false)
	l := &Logging{}
	if v := f["driver"]; v != nil {
		l.Driver, _ = p.str(v, what+" driver")
	}
	if v := f["options"]; v != nil {
		l.Options = map[string]string{}
		p.keyValues(v, what+" options", l.Options, false)
		if len(l.Options) == 0 {
			l.Options = nil
		}
	}
	return l
}

// checkNamespaceRef reports an ipc: or pid: service:NAME naming no service.
func (p *parser) checkNamespaceRef(proj *Project, svc string, k pair) {
	name, ok := strings.CutPrefix(k.Value.Value, "service:")
	if !ok || k.Value.Kind != yaml.ScalarNode || proj.Services[name] != nil || p.declared[name] {
		return
	}
	known := sortedKeys(p.declared)
	p.errorf(k.Value, "service %q %s names unknown service %q%s; known services are %s",
		svc, k.Key, name, didYouMean(name, known), quoteList(known))
}

// checkContainerNames reports two services asking for the same
// container_name, or one taking a name devenv gives another service.
// services is the services: node, read again for the positions.
func (p *parser) checkContainerNames(proj *Project, services *yaml.Node) {
	nodes := map[string]*yaml.Node{}
	if services != nil && services.Kind == yaml.MappingNode {
		for _, e := range p.pairs(services) {
			if e.Value.Kind != yaml.MappingNode || proj.Services[e.Key] == nil {
				continue
			}
			for _, k := range p.pairs(e.Value) {
				switch k.Key {
				case "container_name":
					nodes[e.Key] = k.Value
				case "ipc", "pid":
					p.checkNamespaceRef(proj, e.Key, k)
				}
			}
		}
	}
	owner := map[string]string{}
	for _, name := range sortedKeys(proj.Services) {
		if cn := proj.Services[name].ContainerName; cn == "" {
			owner[proj.Name+"-"+name] = name
		}
	}
	for _, name := range sortedKeys(proj.Services) {
		cn := proj.Services[name].ContainerName
		if cn == "" {
			continue
		}
		if other, taken := owner[cn]; taken && nodes[name] != nil {
			p.errorf(nodes[name], "service %q container_name %q is also the container of service %q; container names must be unique, so change one",
				name, cn, other)
			continue
		}
		owner[cn] = name
	}
}
