package config

import (
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"
)

// Develop is a service's develop: section: how `devenv watch` keeps the
// running container in step with the files on the host.
type Develop struct {
	Watch []WatchRule
}

// WatchRule is one entry of develop.watch.
type WatchRule struct {
	Path        string     // absolute file or directory on the host
	Action      string     // one of WatchActions
	Target      string     // path in the container (sync actions)
	Ignore      []string   // patterns relative to Path, .dockerignore syntax
	Include     []string   // when set, only matching paths count
	InitialSync bool       // sync the whole Path when watching starts
	Exec        *WatchExec // the command of sync+exec
}

// WatchExec is the exec: of a sync+exec rule.
type WatchExec struct {
	Command     []string
	User        string
	Privileged  bool
	WorkingDir  string
	Environment map[string]string
}

// The watch actions.
const (
	ActionSync        = "sync"
	ActionRebuild     = "rebuild"
	ActionSyncRestart = "sync+restart"
	ActionSyncExec    = "sync+exec"
)

// WatchActions lists the values action: accepts.
var WatchActions = []string{ActionRebuild, ActionSync, ActionSyncExec, ActionSyncRestart}

var (
	developKeys   = []string{"watch"}
	watchKeys     = []string{"action", "exec", "ignore", "include", "initial_sync", "path", "target"}
	watchExecKeys = []string{"command", "environment", "privileged", "user", "working_dir"}
)

func init() {
	serviceKeys = sortedUnion(serviceKeys, []string{"develop"})
}

// develop parses develop: into s.Develop.
func (p *parser) develop(s *Service, f map[string]*yaml.Node, what string) {
	n := f["develop"]
	if n == nil || isNull(n) {
		return
	}
	what += " develop"
	if !p.mapping(n, what) {
		return
	}
	df := p.fields(n, what, developKeys, true)
	d := &Develop{}
	if v := df["watch"]; v != nil {
		if v.Kind != yaml.SequenceNode {
			p.errorf(v, "%s watch must be a list, not %s", what, kindName(v))
			return
		}
		for _, item := range v.Content {
			if r, ok := p.watchRule(resolve(item), what+" watch", s); ok {
				d.Watch = append(d.Watch, r)
			}
		}
	}
	s.Develop = d
}

// watchRule parses one entry of develop.watch.
func (p *parser) watchRule(n *yaml.Node, what string, s *Service) (WatchRule, bool) {
	var r WatchRule
	if !p.mapping(n, "each entry of "+what) {
		return r, false
	}
	f := p.fields(n, what+" entry", watchKeys, true)
	ok := true
	if v := f["path"]; v == nil {
		p.errorf(n, "%s entry has no path; add path: ./DIR (the host files to watch)", what)
		ok = false
	} else if r.Path, _ = p.str(v, what+" path"); r.Path == "" {
		p.errorf(v, "%s path is empty; write a host directory such as ./src", what)
		ok = false
	} else if !filepath.IsAbs(r.Path) {
		r.Path = filepath.Join(p.dir, r.Path)
	}
	if v := f["action"]; v == nil {
		p.errorf(n, "%s entry has no action; add action: one of sync, rebuild, sync+restart, sync+exec", what)
		ok = false
	} else if r.Action, _ = p.str(v, what+" action"); !slices.Contains(WatchActions, r.Action) {
		p.errorf(v, "%s action %q is unknown; use sync, rebuild, sync+restart or sync+exec", what, r.Action)
		ok = false
	}
	if v := f["target"]; v != nil {
		r.Target, _ = p.str(v, what+" target")
	}
	for key, dst := range map[string]*[]string{"ignore": &r.Ignore, "include": &r.Include} {
		if v := f[key]; v != nil {
			*dst, _ = p.strList(v, what+" "+key, true)
		}
	}
	if v := f["initial_sync"]; v != nil {
		r.InitialSync = p.boolean(v, what+" initial_sync")
	}
	if v := f["exec"]; v != nil {
		r.Exec = p.watchExec(v, what+" exec")
	}
	return r, ok && p.checkWatchRule(n, &r, f, what, s)
}

// checkWatchRule checks the keys each action needs.
func (p *parser) checkWatchRule(n *yaml.Node, r *WatchRule, f map[string]*yaml.Node, what string, s *Service) bool {
	switch {
	case r.Action != ActionRebuild && r.Target == "":
		p.errorf(n, "%s action %s needs target: the directory in the container to copy files to, e.g. /app", what, r.Action)
	case r.Action != ActionRebuild && !isAbsContainerPath(r.Target):
		p.errorf(f["target"], "%s target %q must be an absolute path in the container, e.g. /app", what, r.Target)
	case r.Action == ActionSyncExec && r.Exec == nil:
		p.errorf(n, "%s action sync+exec needs exec: {command: ...}", what)
	case r.Action != ActionSyncExec && f["exec"] != nil:
		p.errorf(f["exec"], "%s exec applies only to action sync+exec; remove it or change the action", what)
	case r.Action == ActionRebuild && s.Build == nil:
		p.errorf(f["action"], "%s action rebuild needs the service to have build:; add build: or use sync", what)
	default:
		return true
	}
	return false
}

func isAbsContainerPath(s string) bool { return len(s) > 0 && s[0] == '/' }

// watchExec parses the exec: of a sync+exec rule.
func (p *parser) watchExec(n *yaml.Node, what string) *WatchExec {
	if !p.mapping(n, what) {
		return nil
	}
	f := p.fields(n, what, watchExecKeys, true)
	e := &WatchExec{}
	if v := f["command"]; v != nil {
		e.Command = p.command(v, what+" command")
	}
	if len(e.Command) == 0 {
		p.errorf(n, "%s needs command: the program to run in the container after syncing", what)
		return nil
	}
	for key, dst := range map[string]*string{"user": &e.User, "working_dir": &e.WorkingDir} {
		if v := f[key]; v != nil {
			*dst, _ = p.str(v, what+" "+key)
		}
	}
	if v := f["privileged"]; v != nil {
		e.Privileged = p.boolean(v, what+" privileged")
	}
	if v := f["environment"]; v != nil {
		e.Environment = map[string]string{}
		p.keyValues(v, what+" environment", e.Environment, true)
	}
	return e
}

// absDevelopPaths rewrites the watch paths of a service from a file read
// through include or extends (see absolutePaths).
func absDevelopPaths(svc *yaml.Node, dir string) {
	at := find(svc, "develop")
	if at < 0 || svc.Content[at].Kind != yaml.MappingNode {
		return
	}
	w := find(svc.Content[at], "watch")
	if w < 0 {
		return
	}
	for _, rule := range svc.Content[at].Content[w].Content {
		if rule.Kind == yaml.MappingNode {
			absField(rule, "path", dir)
		}
	}
}

// format renders develop: for `devenv config`.
func (d *Develop) format() map[string]any {
	rules := make([]any, len(d.Watch))
	for i, r := range d.Watch {
		m := map[string]any{"path": escapeDollars(r.Path), "action": r.Action}
		if r.Target != "" {
			m["target"] = escapeDollars(r.Target)
		}
		putList(m, "ignore", r.Ignore)
		putList(m, "include", r.Include)
		if r.InitialSync {
			m["initial_sync"] = true
		}
		if r.Exec != nil {
			m["exec"] = r.Exec.format()
		}
		rules[i] = m
	}
	return map[string]any{"watch": rules}
}

func (e *WatchExec) format() map[string]any {
	m := map[string]any{}
	putCommand(m, "command", e.Command)
	for key, v := range map[string]string{"user": e.User, "working_dir": e.WorkingDir} {
		if v != "" {
			m[key] = escapeDollars(v)
		}
	}
	if e.Privileged {
		m["privileged"] = true
	}
	putMap(m, "environment", e.Environment)
	return m
}

// formatDevelop adds develop: to a formatted service.
func formatDevelop(s *Service, m map[string]any) {
	if s.Develop != nil {
		m["develop"] = s.Develop.format()
	}
}
