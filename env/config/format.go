package config

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Format renders the loaded project as envs.yaml: interpolated, defaults
// filled in, paths absolute, env_file merged into environment, keys sorted.
// Every $ is written as $$ so that parsing the output gives back an equal
// Project (with the same file name).
func (p *Project) Format() ([]byte, error) {
	doc := map[string]any{
		"name":     p.Name,
		"services": p.formatServices(),
	}
	if p.Registry != "" {
		doc["registry"] = p.Registry
	}
	if len(p.Environments) > 0 {
		envs := map[string]any{}
		for name, svcs := range p.Environments {
			envs[name] = svcs
		}
		doc["environments"] = envs
	}
	p.formatResources(doc)
	var root yaml.Node
	if err := root.Encode(doc); err != nil {
		return nil, fmt.Errorf("formatting project %s: %w", p.Name, err)
	}
	quoteMergeKeys(&root)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("formatting project %s: %w", p.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("formatting project %s: %w", p.Name, err)
	}
	return buf.Bytes(), nil
}

// quoteMergeKeys quotes keys spelled "<<" (possible in environment: and
// labels:), which the encoder leaves plain and a parser would then read as
// a merge.
func quoteMergeKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			if n.Content[i].Value == "<<" {
				n.Content[i].Tag, n.Content[i].Style = "!!str", yaml.DoubleQuotedStyle
			}
		}
	}
	for _, c := range n.Content {
		quoteMergeKeys(c)
	}
}

func (p *Project) formatServices() map[string]any {
	out := map[string]any{}
	for name, s := range p.Services {
		m := s.format()
		formatBuild(p.Name, s, m)
		formatDevelop(s, m)
		out[name] = m
	}
	return out
}

// format renders one service; empty fields are left out.
func (s *Service) format() map[string]any {
	m := map[string]any{
		"image":       s.Image,
		"pull_policy": s.PullPolicy,
		"restart":     s.Restart,
	}
	for key, v := range map[string]string{"working_dir": s.WorkingDir, "user": s.User, "hostname": s.Hostname} {
		if v != "" {
			m[key] = escapeDollars(v)
		}
	}
	putCommand(m, "command", s.Command)
	putCommand(m, "entrypoint", s.Entrypoint)
	putList(m, "extra_hosts", s.ExtraHosts)
	putList(m, "profiles", s.Profiles)
	putMap(m, "environment", s.Environment)
	putMap(m, "labels", s.Labels)
	if len(s.Aliases) > 0 {
		m["networks"] = map[string]any{"default": map[string]any{"aliases": escapeAll(s.Aliases)}}
	}
	if len(s.Ports) > 0 {
		ports := make([]string, len(s.Ports))
		for i, pt := range s.Ports {
			ports[i] = pt.String()
		}
		m["ports"] = ports
	}
	if len(s.Volumes) > 0 {
		vols := make([]string, len(s.Volumes))
		for i, v := range s.Volumes {
			vols[i] = escapeDollars(v.String())
		}
		m["volumes"] = vols
	}
	if s.Healthcheck != nil {
		m["healthcheck"] = s.Healthcheck.format()
	}
	s.ContainerSettings.format(m)
	if len(s.DependsOn) > 0 {
		deps := map[string]any{}
		for name, d := range s.DependsOn {
			deps[name] = d.format()
		}
		m["depends_on"] = deps
	}
	s.formatResources(m)
	return m
}

func (h *Healthcheck) format() map[string]any {
	if h.Disable {
		return map[string]any{"disable": true}
	}
	m := map[string]any{
		"interval":     h.Interval.String(),
		"timeout":      h.Timeout.String(),
		"start_period": h.StartPeriod.String(),
		"retries":      h.Retries,
	}
	if len(h.Test) > 0 {
		m["test"] = escapeAll(h.Test)
	}
	if h.StartInterval > 0 {
		m["start_interval"] = h.StartInterval.String()
	}
	return m
}

func putList(m map[string]any, key string, list []string) {
	if len(list) > 0 {
		m[key] = escapeAll(list)
	}
}

func putMap(m map[string]any, key string, kv map[string]string) {
	if len(kv) == 0 {
		return
	}
	out := make(map[string]string, len(kv))
	for k, v := range kv {
		out[k] = escapeDollars(v)
	}
	m[key] = out
}

func escapeAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = escapeDollars(s)
	}
	return out
}
