package env

import (
	"fmt"
	"sort"
	"strings"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// Action is what the plan does with one service's container.
type Action string

// Actions of a plan.
const (
	ActionCreate   Action = "create"   // no container yet
	ActionRecreate Action = "recreate" // configuration or image changed, or container unusable
	ActionStart    Action = "start"    // container is current but not running
	ActionKeep     Action = "keep"     // container is current and running (or a completed one-shot)
)

// Step is the plan for one selected service.
type Step struct {
	Service  string
	Action   Action
	Reason   string            // why, for the printed plan
	Existing *engine.Container // the container found for the service, if any
	Desired  DesiredService
}

// Plan is what Up will do, computed from one observation without side effects.
type Plan struct {
	Project        string
	Networks       []NetworkStep    // the project's networks the services use, sorted by name
	RemoveNetworks []engine.Network // duplicates left by interrupted runs
	CreateVolumes  []string
	// ChangedVolumes were created with other settings (driver, options,
	// labels); the engine cannot change them, and recreating one loses its
	// data, so up stops and says what to do.
	ChangedVolumes []string
	Steps          []Step             // sorted by service name
	Remove         []engine.Container // orphans and duplicates
	// Settings of the volumes to create, by name; external networks and
	// volumes, which must exist and are never created (resources.go).
	VolumeSpecs      map[string]engine.VolumeSpec
	ExternalNetworks []string
	ExternalVolumes  []string

	pins map[string]string // image ref -> ref@digest to create from (not hashed)
}

// MakePlan compares the desired state with an observation. It is pure.
func MakePlan(d Desired, o *engine.Observed) *Plan {
	p := &Plan{Project: d.Project, VolumeSpecs: d.VolumeSpecs, ExternalNetworks: d.ExternalNetworks, ExternalVolumes: d.ExternalVolumes}
	p.planNetworks(d, o)
	p.planVolumes(d, o)
	byService := map[string][]engine.Container{}
	for _, c := range o.Containers {
		if c.Labels[LabelOneOff] != "" {
			continue // devenv run's: neither an orphan nor a duplicate
		}
		if !d.Known[c.Service] {
			p.Remove = append(p.Remove, c)
			continue
		}
		byService[c.Service] = append(byService[c.Service], c)
	}
	for _, ds := range d.Services {
		cs := byService[ds.Name]
		keep, extra := pickContainer(cs, ds.Spec.Name)
		p.Remove = append(p.Remove, extra...)
		p.Steps = append(p.Steps, stepFor(ds, keep))
	}
	sort.Slice(p.Remove, func(i, j int) bool { return p.Remove[i].Name < p.Remove[j].Name })
	return p
}

func sortedNetworks(ns []engine.Network) []engine.Network {
	out := append([]engine.Network(nil), ns...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// pickContainer keeps the container with the expected name (there is at most
// one: names are unique); any other container of the service is extra.
func pickContainer(cs []engine.Container, name string) (*engine.Container, []engine.Container) {
	var keep *engine.Container
	var extra []engine.Container
	for i := range cs {
		if cs[i].Name == name && keep == nil {
			keep = &cs[i]
			continue
		}
		extra = append(extra, cs[i])
	}
	return keep, extra
}

func stepFor(ds DesiredService, c *engine.Container) Step {
	st := Step{Service: ds.Name, Existing: c, Desired: ds}
	switch {
	case c == nil:
		st.Action, st.Reason = ActionCreate, "no container"
	case c.ConfigHash != ds.Hash:
		st.Action, st.Reason = ActionRecreate, changeReason(c, ds)
	case c.State == "running" || c.State == "restarting":
		st.Action, st.Reason = ActionKeep, "running"
	case c.State == "exited" && c.ExitCode == 0 && ds.OneShot:
		st.Action, st.Reason = ActionKeep, "completed"
	case c.State == "created" || c.State == "exited" || c.State == "paused":
		st.Action, st.Reason = ActionStart, c.State
	default:
		st.Action, st.Reason = ActionRecreate, "container is "+c.State
	}
	return st
}

func changeReason(c *engine.Container, ds DesiredService) string {
	if img := c.Labels[engine.LabelImageID]; img != "" && img != ds.ImageID {
		return "image changed"
	}
	return "configuration changed"
}

// Empty reports whether applying the plan changes nothing.
func (p *Plan) Empty() bool {
	if len(p.RemoveNetworks) > 0 || len(p.CreateVolumes) > 0 || len(p.ChangedVolumes) > 0 || len(p.Remove) > 0 {
		return false
	}
	for _, n := range p.Networks {
		if n.Create || n.Changed {
			return false
		}
	}
	for _, s := range p.Steps {
		if s.Action != ActionKeep {
			return false
		}
	}
	return true
}

// String renders the plan for `up --dry-run`: one line per object, stable.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "project %s\n", p.Project)
	for _, n := range p.Networks {
		switch {
		case n.Create:
			fmt.Fprintf(&b, "  network %s: create\n", n.Name)
		case n.Changed:
			fmt.Fprintf(&b, "  network %s: settings changed (run devenv down, then up)\n", n.Name)
		default:
			fmt.Fprintf(&b, "  network %s: keep\n", n.Name)
		}
	}
	for _, n := range p.ExternalNetworks {
		fmt.Fprintf(&b, "  network %s: external\n", n)
	}
	for _, v := range p.ExternalVolumes {
		fmt.Fprintf(&b, "  volume %s: external\n", v)
	}
	for _, n := range p.RemoveNetworks {
		fmt.Fprintf(&b, "  network %s (%s): remove duplicate\n", n.Name, short(n.ID))
	}
	for _, v := range p.CreateVolumes {
		fmt.Fprintf(&b, "  volume %s: create\n", v)
	}
	for _, v := range p.ChangedVolumes {
		fmt.Fprintf(&b, "  volume %s: settings changed (the engine cannot change them; see up's message)\n", v)
	}
	for _, c := range p.Remove {
		fmt.Fprintf(&b, "  container %s: remove (orphan of service %q)\n", c.Name, c.Service)
	}
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "  service %s: %s (%s)", s.Service, s.Action, s.Reason)
		if strings.HasPrefix(s.Desired.ImageID, dryBuildPrefix) {
			b.WriteString(", its image built first")
		}
		if deps := depList(s.Desired.Deps); deps != "" {
			fmt.Fprintf(&b, " after %s", deps)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func depList(deps map[string]config.Condition) string {
	names := make([]string, 0, len(deps))
	for n, c := range deps {
		names = append(names, n+" "+strings.TrimPrefix(string(c), "service_"))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
