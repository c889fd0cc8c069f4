package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access/accesshub"
	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// defaultHubDataDir is where a hub keeps its store, certificate and admin socket.
const defaultHubDataDir = "/var/lib/devenv/hub"

func newHubCmd(g *globals) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "hub",
		Short: "Run and administer the team's VPN hub",
		Long: `devenv hub serve runs the hub that joins every developer's device into one
WireGuard network. The other hub commands administer the running hub on the
same machine, through the admin socket in its state directory (--state-dir):

  devenv hub user add alice --role developer
  devenv hub invite create --user alice      # prints the invite for devenv vpn join
  devenv hub device list
  devenv hub gateway add prod-eu             # prints the token for devenv gateway serve
  devenv hub audit verify                    # checks the access audit trail's hash chain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&dataDir, "state-dir", defaultHubDataDir, "the hub's state directory (store, certificate, admin.sock)")
	aliasFlag(cmd.PersistentFlags(), "data", "state-dir")
	cmd.AddCommand(newHubServeCmd(g, &dataDir), newHubUserCmd(g, &dataDir),
		newHubInviteCmd(g, &dataDir), newHubDeviceCmd(g, &dataDir),
		newHubGatewayCmd(g, &dataDir), newHubAuditCmd(g, &dataDir), newHubGrantCmd(g, &dataDir), newHubDoctorCmd(g, &dataDir), newHubBackupCmd(g, &dataDir),
		newHubInfoCmd(g, &dataDir))
	return cmd
}

// hubServeFlags are serve's flags as typed.
type hubServeFlags struct {
	listen, publicURL, endpoint, network, cert, key, iface string
	wgPort                                                 int
	wgPortSet                                              bool // --wg-port was given
	advertise                                              []string
	webhook, webhookFile                                   string
	requestWindow                                          time.Duration
	metricsListen                                          string
	maxReason, maxOpenRequests, maxEmergencyGrants         int
	maxLongPolls                                           int
	checkpointEvery                                        time.Duration
}

// webhookURLEnv holds the webhook URL when neither --webhook nor
// --webhook-file gives it: a Slack incoming webhook's URL is a secret, and
// the process's arguments are readable by every user of the machine.
const webhookURLEnv = "DEVENV_HUB_WEBHOOK"

// webhookURL is the webhook URL from --webhook-file, --webhook or the
// environment, in that order.
func (f hubServeFlags) webhookURL() (string, error) {
	switch {
	case f.webhookFile != "" && f.webhook != "":
		return "", usageError{errors.New("give the webhook once: --webhook-file or --webhook")}
	case f.webhookFile != "":
		b, err := os.ReadFile(f.webhookFile)
		if err != nil {
			return "", usageError{fmt.Errorf("--webhook-file: %w", err)}
		}
		return strings.TrimSpace(string(b)), nil
	case f.webhook != "":
		return f.webhook, nil
	}
	return os.Getenv(webhookURLEnv), nil
}

// hubServeOptions are the options of the hub (without the device and
// logger) and of its access half.
type hubServeOptions struct {
	Hub    hub.Options
	Access accesshub.Options
}

// options turns serve's flags into the hub's options and its access half's.
func (f hubServeFlags) options(dataDir string) (hubServeOptions, error) {
	network, err := netip.ParsePrefix(f.network)
	if err != nil {
		return hubServeOptions{}, usageError{fmt.Errorf("--network %q: want a CIDR such as 100.100.0.0/16", f.network)}
	}
	webhook, err := f.webhookURL()
	if err != nil {
		return hubServeOptions{}, err
	}
	o := hub.Options{
		DataDir: dataDir, Listen: f.listen, PublicURL: f.publicURL, WGListenPort: f.wgPort,
		Endpoint: f.endpoint, Network: network, CertFile: f.cert, KeyFile: f.key, Interface: f.iface,
		Webhook: webhook, MetricsListen: f.metricsListen,
		MaxLongPolls: f.maxLongPolls, AuditCheckpointEvery: f.checkpointEvery,
	}
	access := accesshub.Options{RequestWindow: f.requestWindow,
		MaxReason: f.maxReason, MaxOpenRequests: f.maxOpenRequests, MaxEmergencyGrants: f.maxEmergencyGrants}
	for _, c := range []struct {
		flag string
		v    int
	}{{"--max-reason", f.maxReason}, {"--max-open-requests", f.maxOpenRequests}, {"--max-emergency-grants", f.maxEmergencyGrants},
		{"--max-long-polls", f.maxLongPolls}} {
		if c.v < 1 {
			return hubServeOptions{}, usageError{fmt.Errorf("%s %d: want 1 or more", c.flag, c.v)}
		}
	}
	if f.checkpointEvery < time.Minute {
		return hubServeOptions{}, usageError{fmt.Errorf("--audit-checkpoint-every %v: want a minute or more", f.checkpointEvery)}
	}
	for _, a := range f.advertise {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return hubServeOptions{}, usageError{fmt.Errorf("--advertise %q: want a CIDR such as 10.1.0.0/16", a)}
		}
		o.Advertise = append(o.Advertise, p)
	}
	if (f.cert == "") != (f.key == "") {
		return hubServeOptions{}, usageError{fmt.Errorf("--cert and --key go together")}
	}
	if f.wgPort < 0 || f.wgPort > 65535 {
		return hubServeOptions{}, usageError{fmt.Errorf("--wg-port %d: want 1-65535, or 0 for any free port", f.wgPort)}
	}
	if f.wgPort == 0 {
		o.WGListenPort = hub.AnyPort
	}
	// Devices dial the endpoint's port; the hub listens on --wg-port. They
	// must be one port (no forwarding between them is assumed): an endpoint
	// with its own port sets --wg-port when it is not given.
	if _, p, err := net.SplitHostPort(f.endpoint); f.endpoint != "" && err == nil {
		port, err := strconv.Atoi(p)
		switch {
		case err != nil || port < 1 || port > 65535:
			return hubServeOptions{}, usageError{fmt.Errorf("--endpoint %q: want HOST:PORT with a port 1-65535", f.endpoint)}
		case !f.wgPortSet:
			o.WGListenPort = port
		case port != f.wgPort:
			return hubServeOptions{}, usageError{fmt.Errorf("--endpoint %s and --wg-port %d disagree: devices would dial port %d while the hub listens on %d; "+
				"give one port (or forward %d to %d and say so with the same number)", f.endpoint, f.wgPort, port, f.wgPort, port, f.wgPort)}
		}
	}
	if f.requestWindow < 0 {
		return hubServeOptions{}, usageError{fmt.Errorf("--request-window %s: want a positive duration such as 15m", f.requestWindow)}
	}
	if u, err := url.Parse(webhook); webhook != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		return hubServeOptions{}, usageError{errors.New("the webhook: want an http(s) URL, such as a Slack incoming webhook")}
	}
	return hubServeOptions{Hub: o, Access: access}, nil
}

// defaultHubInterfaces are the names a hub tries, in order, when
// --interface is not given.
func defaultHubInterfaces() []string {
	names := []string{hub.DefaultInterface}
	for i := 1; i < 10; i++ {
		names = append(names, fmt.Sprintf("%s%d", hub.DefaultInterface, i))
	}
	return names
}

func newHubServeCmd(g *globals, dataDir *string) *cobra.Command {
	var f hubServeFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hub until interrupted: HTTPS API, WireGuard device, admin socket",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.wgPortSet = cmd.Flags().Changed("wg-port")
			so, err := f.options(*dataDir)
			if err != nil {
				return err
			}
			o := so.Hub
			o.Extensions = []hub.Extension{accesshub.New(so.Access)}
			o.Logger = slog.New(slog.NewTextHandler(g.stderr, nil))
			o.NewDevice = func(c wg.Config) (wg.Device, error) {
				if cmd.Flags().Changed("interface") {
					return wg.Open(wg.Options{Config: c})
				}
				return wg.OpenFirstFree(wg.Options{Config: c}, defaultHubInterfaces()...)
			}
			o.EnableForwarding = true
			h, err := hub.New(o)
			if err != nil {
				return err
			}
			defer h.Close()
			fmt.Fprintf(g.stderr, "hub %s (certificate %s); invite devices with: devenv hub invite create --state-dir %s --user NAME\n",
				h.PublicURL(), h.Fingerprint(), *dataDir)
			return h.Serve(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", hub.DefaultListen, "HTTPS API address")
	fl.StringVar(&f.publicURL, "public-url", "", "the URL invites carry, e.g. https://hub.example:8443 (default: https://HOSTNAME:PORT)")
	fl.IntVar(&f.wgPort, "wg-port", hub.DefaultWGListenPort, "WireGuard UDP port; 0 binds any free port (the log says which)")
	fl.StringVar(&f.endpoint, "endpoint", "", "host:port devices dial for WireGuard (default: the public URL's host and --wg-port)")
	fl.StringVar(&f.network, "network", hub.DefaultNetwork.String(), "the virtual LAN; the hub takes its first address")
	fl.StringSliceVar(&f.advertise, "advertise", nil, "a subnet behind the hub that devices route through it (repeatable)")
	fl.StringVar(&f.cert, "cert", "", "TLS certificate file (default: a self-signed one kept in --state-dir)")
	fl.StringVar(&f.key, "key", "", "TLS key file, with --cert")
	fl.StringVar(&f.iface, "interface", hub.DefaultInterface, "the hub's WireGuard interface name (by default the first free of "+hub.DefaultInterface+", "+hub.DefaultInterface+"1…9)")
	fl.StringVar(&f.webhookFile, "webhook-file", "", "file holding the URL that receives Slack-compatible JSON about access requests, emergency grants and decisions (or $"+webhookURLEnv+")")
	fl.StringVar(&f.webhook, "webhook", "", "the webhook URL itself; every user of this machine can read it in ps: prefer --webhook-file or $"+webhookURLEnv)
	fl.DurationVar(&f.requestWindow, "request-window", accesshub.DefaultRequestWindow, "how long an access request waits for a decision before it lapses")
	fl.StringVar(&f.metricsListen, "metrics-listen", hub.DefaultMetricsListen, "plain-HTTP address of /metrics and /healthz; keep it off the public network (\"\" serves none)")
	fl.IntVar(&f.maxReason, "max-reason", accesshub.DefaultMaxReason, "the most bytes of an access request's reason")
	fl.IntVar(&f.maxOpenRequests, "max-open-requests", accesshub.DefaultMaxOpenRequests, "the most pending access requests one user may have")
	fl.IntVar(&f.maxEmergencyGrants, "max-emergency-grants", accesshub.DefaultMaxEmergencyGrants, "the most active emergency grants one user may hold")
	fl.IntVar(&f.maxLongPolls, "max-long-polls", hub.DefaultMaxLongPolls, "the most long-polls one device or gateway may hold at once; more are answered 429")
	fl.DurationVar(&f.checkpointEvery, "audit-checkpoint-every", hub.DefaultAuditCheckpointEvery, "how often the hub logs an audit checkpoint (SEQ:HASH) and sends it to the webhook, when the trail grew")
	return cmd
}

// hubArgs checks the number of positional arguments with a helpful message.
func hubArgs(n int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s", msg)}
		}
		return nil
	}
}

func newHubUserCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add, list and remove the hub's users", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var role string
	add := &cobra.Command{
		Use: "add NAME", Short: "Add a user", Args: hubArgs(1, "user add takes one argument: the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := hubapi.Role(role)
			if r != hubapi.RoleDeveloper && r != hubapi.RoleApprover && r != hubapi.RoleAdmin {
				return usageError{fmt.Errorf("--role %q: use developer, approver or admin", role)}
			}
			u, err := hub.NewAdminClient(*dataDir).AddUser(cmd.Context(), args[0], r)
			if err == nil {
				fmt.Fprintf(g.stderr, "added %s (%s)\n", u.Name, u.Role)
			}
			return err
		},
	}
	add.Flags().StringVar(&role, "role", string(hubapi.RoleDeveloper), "developer, approver or admin")
	list := &cobra.Command{
		Use: "list", Short: "List the users", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			users, err := hub.NewAdminClient(*dataDir).Users(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, users)
			}
			return writeHubUsers(g.stdout, users)
		},
	}
	tableOrJSON(list)
	remove := &cobra.Command{
		Use: "remove NAME", Short: "Remove a user, revoking all their devices",
		Args: hubArgs(1, "user remove takes one argument: the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return hub.NewAdminClient(*dataDir).RemoveUser(cmd.Context(), args[0])
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

func newHubInviteCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{Use: "invite", Short: "Create invites", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var o hub.InviteOptions
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an invite and print it (one line) for devenv vpn join",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.User == "" {
				return usageError{fmt.Errorf("--user is required: the user whose device joins")}
			}
			if o.TTL <= 0 || o.Uses < 1 {
				return usageError{fmt.Errorf("--for and --uses must be positive")}
			}
			inv, err := hub.NewAdminClient(*dataDir).CreateInvite(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "invite for %s: %d use(s), valid until %s\n", inv.User, inv.Uses, inv.Expires.Local().Format(time.RFC3339))
			if g.jsonOut() {
				return writeJSON(g.stdout, inv)
			}
			_, err = fmt.Fprintln(g.stdout, inv.Invite)
			return err
		},
	}
	textOrJSON(create)
	create.Flags().StringVar(&o.User, "user", "", "the user whose device joins (required)")
	create.Flags().DurationVar(&o.TTL, "for", 24*time.Hour, "how long the invite works, e.g. 24h")
	aliasFlag(create.Flags(), "ttl", "for")
	create.Flags().IntVar(&o.Uses, "uses", 1, "how many devices it enrolls")
	cmd.AddCommand(create)
	return cmd
}

func newHubDeviceCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{Use: "device", Short: "List and revoke devices", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	list := &cobra.Command{
		Use: "list", Short: "List the devices, revoked ones included", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			devs, err := hub.NewAdminClient(*dataDir).Devices(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, devs)
			}
			return writeHubDevices(g.stdout, devs)
		},
	}
	tableOrJSON(list)
	revoke := &cobra.Command{
		Use: "revoke ID", Short: "Revoke a device: its tunnel stops at once and its address is freed",
		Args: hubArgs(1, "device revoke takes one argument: the device ID (devenv hub device list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return hub.NewAdminClient(*dataDir).Revoke(cmd.Context(), args[0])
		},
	}
	cmd.AddCommand(list, revoke)
	return cmd
}

func writeHubUsers(w io.Writer, users []hub.User) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "USER\tROLE\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.Created.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func writeHubDevices(w io.Writer, devs []hubapi.Device) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tADDRESS\tSTATE\tCREATED")
	for _, d := range devs {
		state := "live"
		if d.Revoked {
			state = "revoked"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.User, d.Name, d.Address, state, d.Created.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func newHubGatewayCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{Use: "gateway", Short: "Add and list the gateways of production access", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	add := &cobra.Command{
		Use: "add NAME", Short: "Add a gateway and print its token (once) for devenv gateway serve",
		Args: hubArgs(1, "gateway add takes one argument: the gateway's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			gw, err := accesshub.NewAdminClient(*dataDir).AddGateway(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, gw.Token)
			fmt.Fprintf(g.stderr, "gateway %s added; its token (above) is shown only now. Put it in a file the gateway reads, and in its gateway.yaml:\n"+
				"  hub: {url: %s, fingerprint: %s, token_file: /etc/devenv/gateway.token}\n", gw.Name, gw.HubURL, gw.Fingerprint)
			return nil
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "List the gateways and their targets", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gws, err := accesshub.NewAdminClient(*dataDir).Gateways(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, gws)
			}
			return writeHubGateways(g.stdout, gws)
		},
	}
	tableOrJSON(list)
	cmd.AddCommand(add, list)
	return cmd
}

func writeHubGateways(w io.Writer, gws []accesshub.Gateway) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "GATEWAY\tENDPOINT\tNETWORK\tTARGETS\tREGISTERED")
	for _, gw := range gws {
		registered := "never"
		if !gw.Registered.IsZero() {
			registered = gw.Registered.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", gw.Name, format.OrDash(gw.Endpoint), format.OrDash(gw.Network), format.OrDash(strings.Join(gw.Targets, ",")), registered)
	}
	return tw.Flush()
}
