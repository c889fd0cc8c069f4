package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/devenv-dev/devenv/env/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	var schema bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the resolved configuration (interpolated, defaults applied), or its JSON Schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if schema {
				_, err := g.stdout.Write(config.Schema())
				return err
			}
			p, err := g.loadProject()
			if err != nil {
				return err
			}
			b, err := p.Format()
			if err == nil && g.jsonOut() {
				b, err = yamlToJSON(b)
			}
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(b)
			return err
		},
	}
	cmd.Flags().BoolVar(&schema, "schema", false, "print the JSON Schema of envs.yaml instead")
	return outputFlag(cmd, "yaml", "json")
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
