package cli

import (
	"strings"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/internal/format"
)

// planJSON is a plan as up -o json prints it: the lines of up --dry-run,
// one object each, so that a program reads what up does and why.
type planJSON struct {
	Project string     `json:"project"`
	Empty   bool       `json:"empty"` // applying it changes nothing
	Steps   []planStep `json:"steps"`
}

// planStep is what the plan does to one network, volume, container or
// service.
type planStep struct {
	Kind   string            `json:"kind"`   // network, volume, container or service
	Name   string            `json:"name"`   // its name
	Action string            `json:"action"` // create, keep, start, recreate, remove, external (must exist) or changed (a network)
	Reason string            `json:"reason,omitempty"`
	After  map[string]string `json:"after,omitempty"` // a service's dependencies: name -> started, healthy or completed_successfully
}

func newPlanJSON(p *env.Plan) planJSON {
	out := planJSON{Project: p.Project, Empty: p.Empty()}
	for _, n := range p.Networks {
		net := planStep{Kind: "network", Name: n.Name, Action: "keep"}
		if n.Create {
			net.Action = "create"
		}
		if n.Changed {
			net.Action, net.Reason = "changed", "created with other settings: run devenv down, then up"
		}
		out.Steps = append(out.Steps, net)
	}
	for _, n := range p.ExternalNetworks {
		out.Steps = append(out.Steps, planStep{Kind: "network", Name: n, Action: "external"})
	}
	for _, v := range p.ExternalVolumes {
		out.Steps = append(out.Steps, planStep{Kind: "volume", Name: v, Action: "external"})
	}
	for _, n := range p.RemoveNetworks {
		out.Steps = append(out.Steps, planStep{Kind: "network", Name: n.Name + " (" + format.ShortDigest(n.ID) + ")",
			Action: "remove", Reason: "duplicate"})
	}
	for _, v := range p.CreateVolumes {
		out.Steps = append(out.Steps, planStep{Kind: "volume", Name: v, Action: "create"})
	}
	for _, c := range p.Remove {
		out.Steps = append(out.Steps, planStep{Kind: "container", Name: c.Name, Action: "remove", Reason: "orphan of service " + c.Service})
	}
	for _, s := range p.Steps {
		st := planStep{Kind: "service", Name: s.Service, Action: string(s.Action), Reason: s.Reason}
		for d, c := range s.Desired.Deps {
			if st.After == nil {
				st.After = map[string]string{}
			}
			st.After[d] = strings.TrimPrefix(string(c), "service_")
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}
