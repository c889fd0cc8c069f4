package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/access"
	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// Exit codes of devenv access, besides ExitOK, ExitError and ExitUsage.
const (
	ExitAccessDenied = 6 // request --wait: the request was denied, lapsed or withdrawn
	ExitAccessEnded  = 7 // connect: the grant expired or was revoked; the message says which and when
	ExitAuditBroken  = 8 // audit --verify: the hash chain is broken; the message says where
)

// accessFlags are the flags every access command shares.
type accessFlags struct {
	dir string // --state-dir; "" for vpn.DefaultDir()
}

// client is the hub client of the device this machine joined with.
func (f *accessFlags) client() (*hubclient.Client, error) { return access.NewClient(f.dir) }

func newAccessCmd(g *globals) *cobra.Command {
	f := &accessFlags{}
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Time-limited, read-only, audited access to production targets",
		Long: `devenv access asks for read-only access to one production target for a bounded time;
someone else approves; devenv access connect opens a tunnel to the target's gateway
that ends at the deadline, live connections included. Every step is audited.

You authenticate as the device that joined the network (devenv vpn join).

Exit codes: 6 request --wait was denied or lapsed; 7 connect ended because the grant
expired or was revoked; 8 audit --verify found the chain broken.`,
		Example: `  devenv access targets
  devenv access request orders-api --for 30m --reason "bug 1234" --wait
  devenv access connect orders-api`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&f.dir, "state-dir", "", "the vpn state directory (default: devenv/vpn in the user's config directory)")
	cmd.AddCommand(newAccessTargetsCmd(g, f), newAccessRequestCmd(g, f), newAccessListCmd(g, f),
		newAccessApproveCmd(g, f), newAccessDenyCmd(g, f), newAccessRevokeCmd(g, f),
		newAccessConnectCmd(g, f), newAccessAuditCmd(g, f))
	return cmd
}

func newAccessTargetsCmd(g *globals, f *accessFlags) *cobra.Command {
	return tableOrJSON(&cobra.Command{
		Use:   "targets",
		Short: "List the production targets you may ask access to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			defer c.Close()
			ts, err := c.Targets(cmd.Context())
			if err != nil {
				return fmt.Errorf("listing targets: %w", err)
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, ts)
			}
			return writeTargets(g.stdout, ts)
		},
	})
}

func writeTargets(w io.Writer, ts []hubapi.Target) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tPROTOCOL\tMAX TTL\tAPPROVERS\tBREAK-GLASS")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Protocol, format.Duration(t.MaxTTL), approvers(t), breakGlass(t))
	}
	return tw.Flush()
}

func approvers(t hubapi.Target) string {
	who := slices.Clone(t.Approvers)
	if t.ApproverRole != "" {
		who = append(who, "role "+string(t.ApproverRole))
	}
	if len(who) == 0 {
		who = []string{"role " + string(hubapi.RoleApprover)}
	}
	if t.AutoApproveRole != "" {
		who = append(who, "auto: role "+string(t.AutoApproveRole))
	}
	return strings.Join(who, ", ")
}

func breakGlass(t hubapi.Target) string {
	if !t.BreakGlass {
		return "no"
	}
	ttl := t.BreakGlassTTL
	if ttl == 0 {
		ttl = hubapi.DefaultBreakGlassTTL
	}
	return "yes, " + format.Duration(min(ttl, t.MaxTTL))
}

// requestFlags are devenv access request's flags.
type requestFlags struct {
	ttl       time.Duration
	reason    string
	wait      bool
	emergency bool
}

func newAccessRequestCmd(g *globals, f *accessFlags) *cobra.Command {
	r := &requestFlags{}
	cmd := &cobra.Command{
		Use:               "request TARGET --for 30m --reason TEXT",
		ValidArgsFunction: completeTargets(f),
		Short:             "Ask for read-only access to a target; a fresh key is made here and never leaves this machine",
		Args:              exactArgs(1, "request takes one argument: the target (devenv access targets lists them)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(r.reason) == "" {
				return usageError{errors.New("--reason is required: say why you need access, e.g. --reason \"bug 1234\"")}
			}
			if r.ttl <= 0 {
				return usageError{fmt.Errorf("--for %s: want a positive duration, e.g. 30m", r.ttl)}
			}
			return runRequest(cmd.Context(), g, f, r, args[0])
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&r.ttl, "for", 30*time.Minute, "how long the access should last, e.g. 30m (the target caps it)")
	fl.StringVar(&r.reason, "reason", "", "why you need access (required; approvers and the audit trail see it)")
	fl.BoolVar(&r.wait, "wait", false, "wait until the request is approved, denied or lapses")
	fl.BoolVar(&r.emergency, "emergency", false, "break-glass: granted at once with a short TTL where the target allows it, flagged in the audit trail")
	return textOrJSON(cmd)
}

func runRequest(ctx context.Context, g *globals, f *accessFlags, rf *requestFlags, target string) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := access.Request(ctx, access.RequestOptions{Hub: c, Dir: f.dir, Target: target, For: rf.ttl,
		Reason: rf.reason, Emergency: rf.emergency})
	if err != nil {
		return err
	}
	if !g.jsonOut() {
		fmt.Fprintln(g.stdout, r.ID) // at once: a script may use it while --wait waits
	}
	fmt.Fprintf(g.stderr, "request %s for %s: %s\n", r.ID, r.Target, r.State)
	if r.State == hubapi.StatePending && rf.wait {
		fmt.Fprintln(g.stderr, "waiting for an approver (Ctrl-C stops waiting; the request stays)")
		id := r.ID
		if r, err = access.Wait(ctx, c, f.dir, id); err != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(g.stderr, "stopped waiting; request %s stays pending (devenv access list --mine)\n", id)
				return exitCodeError(ExitInterrupted)
			}
			return fmt.Errorf("waiting for request %s: %w", id, err)
		}
		fmt.Fprintf(g.stderr, "request %s for %s: %s\n", r.ID, r.Target, r.State)
	}
	fmt.Fprintln(g.stderr, decisionLine(r, time.Now()))
	if g.jsonOut() {
		if err := writeJSON(g.stdout, r); err != nil {
			return err
		}
	}
	if rf.wait && r.State != hubapi.StateApproved && r.State != hubapi.StatePending {
		return exitCodeError(ExitAccessDenied)
	}
	return nil
}

// decisionLine says what a request's state means and what to do next.
func decisionLine(r hubapi.Request, now time.Time) string {
	switch r.StateAt(now) {
	case hubapi.StatePending:
		return fmt.Sprintf("an approver decides with devenv access approve %s; then devenv access connect %s", r.ID, r.Target)
	case hubapi.StateApproved:
		return fmt.Sprintf("approved by %s until %s (%s); devenv access connect %s", format.OrDash(r.Approver),
			format.Clock(r.NotAfter, now), format.Left(r.NotAfter, now), r.Target)
	case hubapi.StateDenied:
		return fmt.Sprintf("denied by %s: %s", format.OrDash(r.Approver), format.OrDash(r.DenyReason))
	case hubapi.StateLapsed:
		return "nobody decided in time; ask again, or ask an approver directly"
	}
	return "the request is " + r.StateAt(now)
}

// listFlags are devenv access list's flags.
type listFlags struct{ pending, mine bool }

func (l listFlags) state() string {
	switch {
	case l.pending:
		return hubclient.RequestsPending
	case l.mine:
		return hubclient.RequestsMine
	}
	return ""
}

func newAccessListCmd(g *globals, f *accessFlags) *cobra.Command {
	l := listFlags{}
	cmd := tableOrJSON(&cobra.Command{
		Use:   "list [--pending|--mine]",
		Short: "List access requests: those waiting for a decision, your own, or all you may see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if l.pending && l.mine {
				return usageError{errors.New("--pending and --mine exclude each other")}
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			defer c.Close()
			rs, err := c.Requests(cmd.Context(), l.state())
			if err != nil {
				return fmt.Errorf("listing access requests: %w", err)
			}
			if g.jsonOut() {
				return writeJSON(g.stdout, rs)
			}
			return writeRequests(g.stdout, rs, time.Now())
		},
	})
	cmd.Flags().BoolVar(&l.pending, "pending", false, "only requests waiting for a decision")
	cmd.Flags().BoolVar(&l.mine, "mine", false, "only your own requests")
	return cmd
}

func writeRequests(w io.Writer, rs []hubapi.Request, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tTARGET\tREQUESTER\tSTATE\tTIME\tREASON")
	for _, r := range rs {
		reason := format.OneLine(r.Reason, 40) // whitespace folded, then made printable
		r = r.Printable()
		state := r.StateAt(now)
		if r.Emergency {
			state += " (emergency)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Target, r.Requester, state, requestTime(r, now), reason)
	}
	return tw.Flush()
}

// requestTime is what matters of a request's times in its state.
func requestTime(r hubapi.Request, now time.Time) string {
	switch {
	case r.State == hubapi.StatePending:
		return "asks " + format.Duration(r.For)
	case r.StateAt(now) == hubapi.StateApproved:
		return "until " + format.Clock(r.NotAfter, now) + ", " + format.Left(r.NotAfter, now)
	case !r.Decided.IsZero():
		return r.Decided.Local().Format(time.DateTime)
	}
	return r.Created.Local().Format(time.DateTime)
}

func newAccessApproveCmd(g *globals, f *accessFlags) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:               "approve ID [--for 15m]",
		ValidArgsFunction: completeRequests(f, hubclient.RequestsPending, isPending),
		Short:             "Approve someone else's pending request, optionally for less time",
		Args:              exactArgs(1, "approve takes one argument: the request ID (devenv access list --pending)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ttl < 0 {
				return usageError{fmt.Errorf("--for %s: want a positive duration", ttl)}
			}
			return decide(g, f, "approving", args[0], func(c *hubclient.Client) (hubapi.Request, error) {
				return c.Approve(cmd.Context(), hubapi.ApproveRequest{ID: args[0], For: ttl})
			})
		},
	}
	cmd.Flags().DurationVar(&ttl, "for", 0, "grant less time than asked, e.g. 15m (default: as asked)")
	return textOrJSON(cmd)
}

func newAccessDenyCmd(g *globals, f *accessFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:               "deny ID --reason TEXT",
		ValidArgsFunction: completeRequests(f, hubclient.RequestsPending, isPending),
		Short:             "Deny a pending request",
		Args:              exactArgs(1, "deny takes one argument: the request ID (devenv access list --pending)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usageError{errors.New("--reason is required: the requester sees it")}
			}
			return decide(g, f, "denying", args[0], func(c *hubclient.Client) (hubapi.Request, error) {
				return c.Deny(cmd.Context(), hubapi.DenyRequest{ID: args[0], Reason: reason})
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	return textOrJSON(cmd)
}

func newAccessRevokeCmd(g *globals, f *accessFlags) *cobra.Command {
	return textOrJSON(&cobra.Command{
		Use:               "revoke ID",
		ValidArgsFunction: completeRequests(f, "", pendingOrLive),
		Short:             "Cut a grant now (or withdraw a pending request): the requester, an approver or an admin",
		Args:              exactArgs(1, "revoke takes one argument: the request ID (devenv access list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return decide(g, f, "revoking", args[0], func(c *hubclient.Client) (hubapi.Request, error) {
				return c.RevokeGrant(cmd.Context(), args[0])
			})
		},
	})
}

// decide makes one decision call and reports the request's new state.
func decide(g *globals, f *accessFlags, doing, id string, call func(*hubclient.Client) (hubapi.Request, error)) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := call(c)
	if err != nil {
		return fmt.Errorf("%s %s: %w", doing, id, err)
	}
	p, now := r.Printable(), time.Now()
	fmt.Fprintf(g.stderr, "request %s (%s for %s): %s\n", p.ID, p.Requester, p.Target, r.StateAt(now))
	if r.StateAt(now) == hubapi.StateApproved {
		fmt.Fprintf(g.stderr, "access until %s (%s)\n", format.Clock(r.NotAfter, now), format.Left(r.NotAfter, now))
	}
	if g.jsonOut() {
		return writeJSON(g.stdout, r)
	}
	return nil
}

// auditFlags are devenv access audit's flags.
type auditFlags struct {
	target, since string
	verify        bool
}

func newAccessAuditCmd(g *globals, f *accessFlags) *cobra.Command {
	a := &auditFlags{}
	cmd := tableOrJSON(&cobra.Command{
		Use:   "audit [--target T] [--since 24h|RFC3339] [--verify]",
		Short: "Show the access audit trail, or check that nobody edited, removed or reordered a record",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			since, err := parseSince(a.since, time.Now())
			if err != nil {
				return usageError{err}
			}
			if a.verify && a.target != "" {
				return usageError{errors.New("--verify checks the whole chain, which --target would leave gaps in; leave --target out")}
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			defer c.Close()
			rs, err := c.Audit(cmd.Context(), a.target, since)
			if err != nil {
				return fmt.Errorf("reading the audit trail: %w", err)
			}
			switch {
			case a.verify:
				return verifyAudit(g, rs)
			case g.jsonOut():
				return writeJSON(g.stdout, rs)
			}
			return writeAudit(g.stdout, rs)
		},
	})
	fl := cmd.Flags()
	fl.StringVar(&a.target, "target", "", "only this target's records")
	_ = cmd.RegisterFlagCompletionFunc("target", func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return targetCompletions(cmd, f), noFiles
	})
	fl.StringVar(&a.since, "since", "", "only records since a time: a duration back (24h, 7d) or RFC 3339")
	fl.BoolVar(&a.verify, "verify", false, "check the hash chain; exit status 8 and where it breaks if it does")
	return cmd
}

func verifyAudit(g *globals, rs []hubapi.AuditRecord) error {
	if err := hubapi.VerifyAudit(rs); err != nil {
		fmt.Fprintf(g.stderr, "devenv: audit chain broken: %v\n", err)
		return exitCodeError(ExitAuditBroken)
	}
	if len(rs) == 0 {
		fmt.Fprintln(g.stdout, "OK: no records")
		return nil
	}
	last := rs[len(rs)-1]
	fmt.Fprintf(g.stdout, "OK: %d records, %d to %d; last hash %s\n", len(rs), rs[0].Seq, last.Seq, last.Hash)
	return nil
}

func writeAudit(w io.Writer, rs []hubapi.AuditRecord) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tREQUEST\tVERDICT\tDETAIL")
	for _, r := range rs {
		r = r.Printable()
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.Local().Format(time.DateTime), r.Actor, r.Action,
			format.OrDash(r.Target), format.OrDash(r.RequestID), format.OrDash(r.Verdict), details(r.Detail))
	}
	return tw.Flush()
}

func details(d map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		kv = append(kv, k+"="+format.OneLine(d[k], 60))
	}
	return format.OrDash(strings.Join(kv, " "))
}
