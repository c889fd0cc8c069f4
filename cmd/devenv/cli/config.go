package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/devenv-dev/devenv/env/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	var (
		schema bool
		list   configLists
	)
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the resolved configuration (files merged, interpolated, defaults applied), or its JSON Schema",
		Long: `Prints the project as devenv reads it: every file merged in order (-f, COMPOSE_FILE, or the
default file with its override), include and extends resolved, variables interpolated, defaults
applied. Services in profiles that are not enabled are left out. --services, --volumes, --images
and --profiles print one name a line instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if schema {
				_, err := g.stdout.Write(config.Schema())
				return err
			}
			if list.count() > 1 {
				return usageError{errors.New("--services, --volumes, --images and --profiles: give one at a time")}
			}
			p, err := g.loadProject()
			if err != nil {
				return err
			}
			if list.count() == 1 {
				return g.printLines(list.names(p))
			}
			return g.printConfig(selected(p))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&schema, "schema", false, "print the JSON Schema of envs.yaml instead")
	f.BoolVar(&list.services, "services", false, "print the selected services' names, one a line")
	f.BoolVar(&list.volumes, "volumes", false, "print the named volumes the selected services use, one a line")
	f.BoolVar(&list.images, "images", false, "print the selected services' images, one a line")
	f.BoolVar(&list.profiles, "profiles", false, "print every profile the services name, one a line")
	return outputFlag(cmd, "yaml", "json")
}

// printConfig writes the project as YAML, or JSON with -o json.
func (g *globals) printConfig(p *config.Project) error {
	b, err := p.Format()
	if err == nil && g.jsonOut() {
		b, err = yamlToJSON(b)
	}
	if err != nil {
		return err
	}
	_, err = g.stdout.Write(b)
	return err
}

// printLines writes names one a line, or as a JSON array with -o json.
func (g *globals) printLines(names []string) error {
	if g.jsonOut() {
		if names == nil {
			names = []string{}
		}
		b, err := json.MarshalIndent(names, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(g.stdout, "%s\n", b)
		return err
	}
	if len(names) == 0 {
		return nil
	}
	_, err := fmt.Fprintln(g.stdout, strings.Join(names, "\n"))
	return err
}

// yamlToJSON turns the resolved configuration into the same document as
// indented JSON.
func yamlToJSON(b []byte) ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("converting the configuration to JSON: %w", err)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("converting the configuration to JSON: %w", err)
	}
	return append(out, '\n'), nil
}
