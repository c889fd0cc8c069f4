package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// vpnFlags are the flags every vpn command shares.
type vpnFlags struct {
	dir string // --state-dir; "" for vpn.DefaultDir()
}

func newVPNCmd(g *globals) *cobra.Command {
	f := &vpnFlags{}
	cmd := &cobra.Command{
		Use:   "vpn",
		Short: "This machine's node on the team's virtual LAN: join, up, down, status",
		Long: `devenv vpn puts this machine on the team's WireGuard network, through the hub.

Join once with the invite an admin created (devenv hub invite create), then bring
the node up: devenv vpn join - (the invite on standard input) && devenv vpn up. Without root, use
devenv vpn up --userspace and reach the network through --socks or devenv vpn forward.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&f.dir, "state-dir", "", "where the key and state live (default: devenv/vpn in the user's config directory)")
	cmd.AddCommand(newVPNJoinCmd(g, f), newVPNUpCmd(g, f), newVPNDownCmd(g, f), newVPNLeaveCmd(g, f),
		newVPNStatusCmd(g, f), newVPNExportCmd(g, f), newVPNForwardCmd(g, f))
	return cmd
}

func newVPNJoinCmd(g *globals, f *vpnFlags) *cobra.Command {
	o := vpn.JoinOptions{}
	var inviteFile string
	cmd := &cobra.Command{
		Use:   "join [- | --invite-file FILE | INVITE]",
		Short: "Join the network with an invite; the private key is made here and never leaves this machine",
		Long: `Joins the network with an invite from devenv hub invite create. The invite holds a secret: give it on
standard input (devenv vpn join -) or in a file (--invite-file FILE), not as an argument, which every
user of this machine can read in ps.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := readInvite(g, args, inviteFile)
			if err != nil {
				return err
			}
			o.Invite, o.Dir = inv, f.dir
			st, err := vpn.Join(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stderr, "next: devenv vpn up (or devenv vpn up --userspace without root)")
			if g.jsonOut() {
				return writeJSON(g.stdout, newJoinJSON(st))
			}
			_, err = fmt.Fprintf(g.stdout, "joined %s as %s: address %s on %s\n", st.HubURL, st.Name, st.Address.Addr(), st.Network)
			return err
		},
	}
	textOrJSON(cmd)
	cmd.Flags().StringVar(&o.Name, "name", "", "this device's name on the network (default: the host name)")
	cmd.Flags().StringVar(&inviteFile, "invite-file", "", "read the invite from this file")
	return cmd
}

// joinJSON is what vpn join -o json prints: the membership, without the
// device's token.
type joinJSON struct {
	Hub       string `json:"hub_url"`
	DeviceID  string `json:"device_id"`
	Name      string `json:"name"`
	User      string `json:"user"`
	Address   string `json:"address"`
	Network   string `json:"network"`
	PublicKey string `json:"public_key"`
}

func newJoinJSON(st vpn.State) joinJSON {
	return joinJSON{Hub: st.HubURL, DeviceID: st.DeviceID, Name: st.Name, User: st.User, Address: st.Address.Addr().String(),
		Network: st.Network.String(), PublicKey: st.PublicKey}
}

// maxInvite bounds what is read as an invite.
const maxInvite = 4 << 10

// readInvite takes the invite from standard input ("-"), a file, or (with a
// warning) the argument.
func readInvite(g *globals, args []string, file string) (string, error) {
	var raw []byte
	var err error
	switch {
	case len(args) == 1 && file != "":
		return "", usageError{errors.New("give the invite once: as -, --invite-file or an argument")}
	case len(args) == 0 && file == "":
		return "", usageError{errors.New("give the invite: devenv vpn join - reads it from standard input, --invite-file FILE from a file")}
	case file != "":
		raw, err = os.ReadFile(file)
	case args[0] == "-":
		raw, err = io.ReadAll(io.LimitReader(g.stdin, maxInvite+1))
	default:
		fmt.Fprintln(g.stderr, "devenv: note: an invite given as an argument is visible to every user of this machine (ps); use devenv vpn join - or --invite-file next time")
		return args[0], nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the invite: %w", err)
	}
	inv := strings.TrimSpace(string(raw))
	switch {
	case len(raw) > maxInvite:
		return "", usageError{fmt.Errorf("the invite is longer than %d bytes: is that the right file?", maxInvite)}
	case inv == "":
		return "", usageError{errors.New("the invite is empty: give what devenv hub invite create printed")}
	}
	return inv, nil
}

// upFlags are devenv vpn up's flags.
type upFlags struct {
	foreground bool
	userspace  bool
	socks      string
	backend    string
	iface      string
}

func newVPNUpCmd(g *globals, f *vpnFlags) *cobra.Command {
	u := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Bring this machine's node up, in the background unless --foreground",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := vpn.RunOptions{Backend: wg.Backend(u.backend), Userspace: u.userspace, SOCKSAddr: u.socks, Interface: u.iface}
			if err := o.Check(); err != nil {
				return usageError{err}
			}
			if u.foreground {
				return runForeground(cmd.Context(), g, f.dir, o)
			}
			return upDetached(cmd.Context(), g, f, u)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&u.foreground, "foreground", false, "run in this terminal until Ctrl-C instead of in the background")
	fl.BoolVar(&u.userspace, "userspace", false, "userspace network stack: no root, no interface; use --socks or devenv vpn forward")
	fl.StringVar(&u.socks, "socks", "", "with --userspace, serve a SOCKS5 proxy into the network here, e.g. 127.0.0.1:1080")
	fl.StringVar(&u.backend, "backend", "", "kernel or userspace (default: kernel if available, else wireguard-go)")
	fl.StringVar(&u.iface, "interface", "", "the network interface's name (default "+vpn.InterfaceName+", or the first free devenv1…devenv9 when another device on this host holds it)")
	_ = fl.MarkHidden("backend")
	return cmd
}

// runForeground runs the node here, its events on stderr; Ctrl-C stops it.
func runForeground(ctx context.Context, g *globals, dir string, o vpn.RunOptions) error {
	n, err := vpn.NewNode(dir)
	if err != nil {
		return err
	}
	o.OnEvent = func(e vpn.Event) {
		fmt.Fprintf(g.stderr, "%s %-12s %s\n", e.Time.Format(time.RFC3339), e.Kind, e.Message)
	}
	err = n.Run(ctx, o)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil // Ctrl-C is how a foreground node stops
	}
	return err
}

// upDetached starts devenv vpn up --foreground in the background and waits
// until it answers.
func upDetached(ctx context.Context, g *globals, f *vpnFlags, u *upFlags) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the devenv executable: %w", err)
	}
	s, err := vpn.Spawn(ctx, f.dir, append([]string{exe}, upArgs(f, u)...))
	if errors.Is(err, vpn.ErrAlreadyRunning) {
		fmt.Fprintf(g.stderr, "the vpn is already up\n")
		fmt.Fprintln(g.stdout, strings.TrimSuffix(s.Address, "/32"))
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, strings.TrimSuffix(s.Address, "/32"))
	fmt.Fprintf(g.stderr, "vpn up on %s (%s)%s; devenv vpn status for more, devenv vpn down to stop\n",
		s.Interface, s.Backend, socksNote(s.SOCKS))
	return nil
}

// upArgs is the command line of the background node.
func upArgs(f *vpnFlags, u *upFlags) []string {
	args := []string{"vpn"}
	if f.dir != "" {
		args = append(args, "--state-dir", f.dir)
	}
	args = append(args, "up", "--foreground")
	if u.userspace {
		args = append(args, "--userspace")
	}
	if u.socks != "" {
		args = append(args, "--socks", u.socks)
	}
	if u.backend != "" {
		args = append(args, "--backend", u.backend)
	}
	if u.iface != "" {
		args = append(args, "--interface", u.iface)
	}
	return args
}

func socksNote(addr string) string {
	if addr == "" {
		return ""
	}
	return ", SOCKS5 proxy on " + addr
}

func newVPNDownCmd(g *globals, f *vpnFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop this machine's node; it stays a member and comes back with devenv vpn up",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := vpn.Down(cmd.Context(), f.dir)
			if errors.Is(err, vpn.ErrNotRunning) {
				fmt.Fprintln(g.stderr, "the vpn is not up")
				return nil
			}
			if err == nil {
				fmt.Fprintln(g.stderr, "vpn down")
			}
			return err
		},
	}
}

func newVPNLeaveCmd(g *globals, f *vpnFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "leave",
		Short: "Leave the network: stop the node, free this device's address at the hub and delete the key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := vpn.LoadState(f.dir)
			if err != nil {
				return err
			}
			if err := vpn.Leave(cmd.Context(), f.dir); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "left %s; %s is free again\n", st.HubURL, st.Address.Addr())
			return nil
		},
	}
}

func newVPNStatusCmd(g *globals, f *vpnFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show this machine's address, the hub and the tunnel's peers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := vpn.Status(cmd.Context(), f.dir)
			if err != nil {
				return err
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, s)
			}
			return writeVPNStatus(g.stdout, s, time.Now())
		},
	}
	tableOrJSON(cmd)
	return cmd
}

func newVPNExportCmd(g *globals, f *vpnFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "export",
		Short: "Print a wg-quick configuration of this membership (it contains the private key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conf, err := vpn.Export(f.dir)
			if err != nil {
				return err
			}
			_, err = io.WriteString(g.stdout, conf)
			return err
		},
	}
}

func newVPNForwardCmd(g *globals, f *vpnFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "forward LOCAL_PORT ADDR:PORT",
		Short: "Forward a local port to an address on the network through the running node, until Ctrl-C",
		Example: `  devenv vpn forward 5432 100.100.0.3:5432
  devenv vpn forward 127.0.0.1:8080 100.100.0.5:80`,
		Args: exactArgs(2, "forward takes LOCAL_PORT and ADDR:PORT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			listen, err := forwardListen(args[0])
			if err != nil {
				return usageError{err}
			}
			if _, _, err := net.SplitHostPort(args[1]); err != nil {
				return usageError{fmt.Errorf("%q: want ADDR:PORT, e.g. 100.100.0.3:5432", args[1])}
			}
			return vpn.Forward(cmd.Context(), f.dir, vpn.ForwardOptions{Listen: listen, Target: args[1],
				Ready: func(l string) {
					fmt.Fprintf(g.stderr, "forwarding %s to %s; Ctrl-C to stop\n", l, args[1])
				}})
		},
	}
}

// forwardListen turns LOCAL_PORT (or ADDR:PORT) into a loopback address to
// listen on.
func forwardListen(s string) (string, error) {
	if p, err := strconv.ParseUint(s, 10, 16); err == nil {
		return net.JoinHostPort("127.0.0.1", strconv.FormatUint(p, 10)), nil
	}
	if _, port, err := net.SplitHostPort(s); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("%q: want a local port, e.g. 5432, or ADDR:PORT", s)
}

func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{errors.New(msg)}
		}
		return nil
	}
}

// writeVPNStatus renders a status for people; now makes ages testable.
func writeVPNStatus(w io.Writer, s vpn.NodeStatus, now time.Time) error {
	tw := newTable(w)
	name := s.Name
	if s.User != "" {
		name += " (" + s.User + ")"
	}
	fmt.Fprintf(tw, "device\t%s\n", name)
	fmt.Fprintf(tw, "address\t%s on %s\n", strings.TrimSuffix(s.Address, "/32"), s.Network)
	fmt.Fprintf(tw, "hub\t%s (WireGuard %s)\n", s.Hub, format.OrDash(s.HubEndpoint))
	state := "down; devenv vpn up brings it up"
	switch {
	case s.Revoked:
		state = "revoked by an admin; devenv vpn leave, then join again with a new invite"
	case s.Up:
		state = fmt.Sprintf("up: %s (%s), network map %d", s.Interface, s.Backend, s.NetMapVersion)
	}
	fmt.Fprintf(tw, "state\t%s\n", state)
	if s.HubError != "" {
		fmt.Fprintf(tw, "hub error\t%s\n", s.HubError)
	}
	if s.SOCKS != "" {
		fmt.Fprintf(tw, "socks5\t%s\n", s.SOCKS)
	}
	for _, f := range s.Forwards {
		fmt.Fprintf(tw, "forward\t%s -> %s\n", f.Listen, f.Target)
	}
	if len(s.Peers) > 0 {
		fmt.Fprintln(tw, "\nPEER\tENDPOINT\tALLOWED IPS\tHANDSHAKE\tRX\tTX")
		for _, p := range s.Peers {
			fmt.Fprintf(tw, "hub %s\t%s\t%s\t%s\t%s\t%s\n", format.ShortKey(p.PublicKey), format.OrDash(p.Endpoint),
				strings.Join(p.AllowedIPs, ","), format.Ago(p.LastHandshake, now), format.Bytes(p.RxBytes), format.Bytes(p.TxBytes))
		}
	}
	if len(s.Devices) > 0 {
		fmt.Fprintln(tw, "\nDEVICE\tUSER\tADDRESS")
		for _, d := range s.Devices {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, format.OrDash(d.User), strings.TrimSuffix(d.Address, "/32"))
		}
	}
	return tw.Flush()
}
