package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hub"
)

func newHubInfoCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Print what gateways and devices need to reach this hub: URL, certificate fingerprint, WireGuard key and endpoint",
		Long: `Asks the running hub, through its admin socket, for its public URL, the fingerprint of its
certificate, its WireGuard key and endpoint, and prints them with the hub: line of a gateway's
configuration (the gateway's own token is shown only by devenv hub gateway add).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			i, err := hub.NewAdminClient(*dataDir).Info(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, i)
			}
			tw := newTable(g.stdout)
			fmt.Fprintf(tw, "url\t%s\n", i.URL)
			fmt.Fprintf(tw, "fingerprint\t%s\n", i.Fingerprint)
			fmt.Fprintf(tw, "wireguard key\t%s\n", i.PublicKey)
			fmt.Fprintf(tw, "wireguard endpoint\t%s\n", i.Endpoint)
			fmt.Fprintf(tw, "network\t%s (the hub is %s on %s)\n", i.Network, i.Address, format.OrDash(i.Interface))
			fmt.Fprintf(tw, "metrics\t%s\n", format.OrDash(i.Metrics))
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "\nfor gateway.yaml:\n  hub: {url: %s, fingerprint: %s, token_file: /etc/devenv/gateway.token}\n",
				i.URL, i.Fingerprint)
			return nil
		},
	}
	tableOrJSON(cmd)
	return cmd
}
