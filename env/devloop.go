package env

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/env/watch"
)

// ErrNoWatch is returned by Watch when a service it is asked to watch, or
// every service, has no develop.watch.
var ErrNoWatch = errors.New("no develop.watch")

// WatchOptions configures Watch.
type WatchOptions struct {
	// Services to watch; empty means every service of the project that has
	// develop.watch. Naming one without it is an error.
	Services []string
	// Quiet is how long files must be left alone before their changes are
	// acted on; 0 means watch.DefaultQuiet.
	Quiet time.Duration
	// OnAction receives each action once done (or failed); nil discards
	// them. It is called from Watch's goroutine.
	OnAction func(WatchAction)
	// OnReady, when not nil, is called once the paths are watched (and
	// initial syncs done): changes made from then on are acted on.
	OnReady func()
	// Up is how a rebuild brings its service up again (Progress, Pull…);
	// its Services and Environment are set by Watch.
	Up UpOptions
}

// WatchAction is one thing Watch did for a service.
type WatchAction struct {
	Time    time.Time
	Service string
	Action  string // config.ActionSync, ActionRebuild, ActionSyncRestart or ActionSyncExec
	Target  string // the container path synced to; "" for rebuild
	Files   int    // files copied or removed
	Err     error  // nil when it worked; watching goes on either way
}

// String is the action's one line: "sync web: 2 files → /app".
func (a WatchAction) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", a.Action, a.Service)
	if a.Action != config.ActionRebuild {
		unit := "files"
		if a.Files == 1 {
			unit = "file"
		}
		fmt.Fprintf(&b, ": %d %s → %s", a.Files, unit, a.Target)
	}
	if a.Err != nil {
		fmt.Fprintf(&b, " failed: %v", a.Err)
	}
	return b.String()
}

// watched is one develop.watch rule with its service.
type watched struct {
	service string
	rule    config.WatchRule
}

// Watch watches the develop.watch paths of the services and acts on
// changes until ctx ends (it then returns nil): it syncs files into the
// services' running containers, restarts them or runs a command there,
// or rebuilds a service's image and recreates just that service. A
// failed action is reported through OnAction and watching goes on.
func Watch(ctx context.Context, eng engine.Engine, p *config.Project, opts WatchOptions) error {
	rules, err := watchedRules(p, opts.Services)
	if err != nil {
		return err
	}
	w, err := watch.New(watchRules(p, rules), watch.Options{Quiet: opts.Quiet})
	if err != nil {
		return err
	}
	dl := &devLoop{eng: eng, p: p, opts: opts, rules: rules}
	if err := dl.initialSync(ctx); err != nil {
		w.Close()
		return err
	}
	if opts.OnReady != nil {
		opts.OnReady()
	}
	return w.Run(ctx, func(c watch.Change) {
		dl.act(ctx, rules[c.Rule], c.Paths)
	})
}

// WatchServices checks what Watch would watch, without an engine: the
// services named (each must have develop.watch), or every service that has
// it. It returns their names, sorted.
func WatchServices(p *config.Project, services []string) ([]string, error) {
	rules, err := watchedRules(p, services)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rules {
		if !slices.Contains(out, r.service) {
			out = append(out, r.service)
		}
	}
	slices.Sort(out)
	return out, nil
}

// watchedRules lists the rules of the services asked for, in the order
// of the services' names.
func watchedRules(p *config.Project, services []string) ([]watched, error) {
	names := services
	if len(names) == 0 {
		names = sortedNames(p.Services)
	} else if _, err := p.Closure(names); err != nil { // unknown names, with a suggestion
		return nil, err
	}
	var out []watched
	for _, name := range names {
		s := p.Services[name]
		if s.Develop == nil || len(s.Develop.Watch) == 0 {
			if len(services) > 0 {
				return nil, fmt.Errorf("service %q has %w; add develop: {watch: [{path: ./src, action: sync, target: /app}]} to it, or name services that have one: %w",
					name, ErrNoWatch, errNames(withWatch(p)))
			}
			continue
		}
		for _, r := range s.Develop.Watch {
			out = append(out, watched{service: name, rule: r})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no service of project %s has %w; add develop: watch: to the services whose files you edit", p.Name, ErrNoWatch)
	}
	return out, nil
}

func withWatch(p *config.Project) []string {
	var out []string
	for _, name := range sortedNames(p.Services) {
		if d := p.Services[name].Develop; d != nil && len(d.Watch) > 0 {
			out = append(out, name)
		}
	}
	return out
}

// errNames is a list of names as an error (to wrap after a colon).
func errNames(names []string) error {
	if len(names) == 0 {
		return errors.New("(none has)")
	}
	return errors.New(strings.Join(names, ", "))
}

// watchRules turns the rules into the watcher's: rebuild rules also leave
// out what the build context's .dockerignore does.
func watchRules(p *config.Project, rules []watched) []watch.Rule {
	out := make([]watch.Rule, len(rules))
	for i, r := range rules {
		out[i] = watch.Rule{Path: r.rule.Path, Ignore: r.rule.Ignore, Include: r.rule.Include}
		if b := p.Services[r.service].Build; r.rule.Action == config.ActionRebuild && b != nil {
			out[i].Context = b.Context
		}
	}
	return out
}

// devLoop acts on changes; it is used from one goroutine.
type devLoop struct {
	eng   engine.Engine
	p     *config.Project
	opts  WatchOptions
	rules []watched
}

func (dl *devLoop) report(a WatchAction) {
	if dl.opts.OnAction != nil {
		a.Time = time.Now()
		dl.opts.OnAction(a)
	}
}

// act does what rule r says for the changed paths.
func (dl *devLoop) act(ctx context.Context, r watched, paths []string) {
	a := WatchAction{Service: r.service, Action: r.rule.Action, Target: r.rule.Target}
	if r.rule.Action == config.ActionRebuild {
		a.Err = dl.rebuild(ctx, r.service)
		dl.report(a)
		return
	}
	a.Files, a.Err = dl.syncAndThen(ctx, r, paths)
	dl.report(a)
}

// rebuild brings the service up again through Up, which rebuilds its
// image when its build inputs changed and recreates just its container.
func (dl *devLoop) rebuild(ctx context.Context, service string) error {
	opts := dl.opts.Up
	opts.Services, opts.Environment, opts.DryRun = []string{service}, "", false
	_, err := Up(ctx, dl.eng, dl.p, opts)
	return err
}

// syncAndThen syncs paths into the service's running containers, then
// restarts them or runs the rule's command, as the action says.
func (dl *devLoop) syncAndThen(ctx context.Context, r watched, paths []string) (int, error) {
	ids, err := dl.running(ctx, r.service)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if n, err = syncPaths(ctx, dl.eng, id, r.rule, paths); err != nil {
			return n, err
		}
	}
	switch r.rule.Action {
	case config.ActionSyncRestart:
		err = Restart(ctx, dl.eng, dl.p, LifecycleOptions{Services: []string{r.service}})
	case config.ActionSyncExec:
		for _, id := range ids {
			if err = execAfterSync(ctx, dl.eng, id, r.rule.Exec); err != nil {
				break
			}
		}
	}
	return n, err
}

// running lists the IDs of the service's running containers.
func (dl *devLoop) running(ctx context.Context, service string) ([]string, error) {
	obs, err := dl.eng.Observe(ctx, dl.p.Name)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range obs.Containers {
		if c.Service == service && c.State == "running" {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("service %s has no running container; start it with devenv up %s", service, service)
	}
	slices.Sort(ids)
	return ids, nil
}

// initialSync syncs the whole path of the rules with initial_sync.
func (dl *devLoop) initialSync(ctx context.Context) error {
	for _, r := range dl.rules {
		if !r.rule.InitialSync || r.rule.Action == config.ActionRebuild {
			continue
		}
		files, err := watch.Files(watch.Rule{Path: r.rule.Path, Ignore: r.rule.Ignore, Include: r.rule.Include})
		if err != nil {
			return err
		}
		ids, err := dl.running(ctx, r.service)
		a := WatchAction{Service: r.service, Action: config.ActionSync, Target: r.rule.Target, Err: err}
		for _, id := range ids {
			if a.Files, a.Err = syncPaths(ctx, dl.eng, id, r.rule, files); a.Err != nil {
				break
			}
		}
		dl.report(a)
	}
	return nil
}
