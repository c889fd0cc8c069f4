package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func newHubAuditCmd(g *globals, dataDir *string) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Export, verify and anchor the access audit trail", Args: cobra.NoArgs,
		Long: `The audit trail is read through the running hub's admin socket, or from its
store in --state-dir when no hub runs. It is streamed, whatever its length.

A hash chain shows edits and removals inside the trail, but not records cut
off its end. The hub emits checkpoints (SEQ:HASH) when it starts, every hour
the trail grew, and on "devenv hub audit checkpoint": it logs them and sends
them to the webhook. Keep them outside the hub, and verify against them:

  devenv hub audit verify --anchor 1234:9f86d08…   # or --anchor FILE of them`,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.AddCommand(newHubAuditExportCmd(g, dataDir), newHubAuditVerifyCmd(g, dataDir), newHubAuditCheckpointCmd(g, dataDir),
		newHubQuarantineCmd(g, dataDir))
	return cmd
}

func newHubAuditExportCmd(g *globals, dataDir *string) *cobra.Command {
	var since, until string
	cmd := &cobra.Command{
		Use: "export", Short: "Print the audit records as a JSON array, in order", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := auditQuery(since, until)
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(g.stdout, 64<<10)
			defer bw.Flush()
			aw := &auditArrayWriter{w: bw}
			if err := hub.EachAudit(cmd.Context(), *dataDir, q, aw.write); err != nil {
				return err
			}
			return aw.close()
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "from this record (a sequence number) or time (RFC 3339), included")
	cmd.Flags().StringVar(&until, "until", "", "up to this record (a sequence number, included) or time (RFC 3339, excluded)")
	return cmd
}

func newHubAuditVerifyCmd(g *globals, dataDir *string) *cobra.Command {
	var since, until string
	var anchors []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain from record 1 (or --since), and against anchors kept elsewhere",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := verifyOptions(since, until, anchors)
			if err != nil {
				return err
			}
			res, err := hub.VerifyAuditTrail(cmd.Context(), *dataDir, o)
			var ae *hubapi.AuditError
			if errors.As(err, &ae) {
				return fmt.Errorf("the audit trail in %s is broken: %w", *dataDir, err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, verifySummary(res, o))
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "from this record (a sequence number; default 1, which must start the trail)")
	cmd.Flags().StringVar(&until, "until", "", "up to this record (a sequence number, included; default the last)")
	cmd.Flags().StringArrayVar(&anchors, "anchor", nil, "a checkpoint SEQ:HASH, or a file holding them (repeatable)")
	return cmd
}

func newHubAuditCheckpointCmd(g *globals, dataDir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint",
		Short: "Emit a checkpoint of the trail's end now and print it (SEQ:HASH) to keep elsewhere",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, sent, err := hub.Checkpoint(cmd.Context(), *dataDir)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, a)
			how := "read from the store (no hub runs: nothing was logged or sent)"
			if sent {
				how = "logged by the hub and sent to its webhook, if it has one"
			}
			fmt.Fprintf(g.stderr, "checkpoint of record %d, %s; keep it outside the hub and check with: devenv hub audit verify --anchor %s\n", a.Seq, how, a)
			return nil
		},
	}
}

// auditQuery turns export's --since and --until into a query: each is a
// record's sequence number or an RFC 3339 time.
func auditQuery(since, until string) (hub.AuditQuery, error) {
	var q hub.AuditQuery
	for _, b := range []struct {
		flag, value string
		seq         *uint64
		time        *time.Time
	}{{"--since", since, &q.FromSeq, &q.Since}, {"--until", until, &q.ToSeq, &q.Until}} {
		if b.value == "" {
			continue
		}
		if n, err := strconv.ParseUint(b.value, 10, 64); err == nil && n > 0 {
			*b.seq = n
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, b.value)
		if err != nil {
			return q, usageError{fmt.Errorf("%s %q: want a record's sequence number or a time such as 2026-01-02T15:04:05Z", b.flag, b.value)}
		}
		*b.time = t
	}
	return q, nil
}

// verifyOptions turns verify's flags into options: a run bounded by
// sequence numbers (a run bounded by time has gaps), and the anchors.
func verifyOptions(since, until string, anchorArgs []string) (hub.VerifyOptions, error) {
	q, err := auditQuery(since, until)
	if err != nil {
		return hub.VerifyOptions{}, err
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		return hub.VerifyOptions{}, usageError{errors.New("verify pages by record: give --since and --until as sequence numbers (a run picked by time has gaps)")}
	}
	o := hub.VerifyOptions{FromSeq: q.FromSeq, ToSeq: q.ToSeq}
	for _, arg := range anchorArgs {
		as, err := readAnchors(arg)
		if err != nil {
			return o, err
		}
		o.Anchors = append(o.Anchors, as...)
	}
	return o, nil
}

// readAnchors reads --anchor's value: SEQ:HASH itself, or a file of them
// (a list, a saved log or webhook messages: every SEQ:HASH in it counts).
func readAnchors(arg string) ([]hubapi.AuditAnchor, error) {
	if as, err := hubapi.ParseAuditAnchors(arg); err == nil {
		return as, nil
	}
	raw, err := os.ReadFile(arg)
	if err != nil {
		return nil, usageError{fmt.Errorf("--anchor %q: neither SEQ:HASH nor a readable file: %w", arg, err)}
	}
	as, err := hubapi.ParseAuditAnchors(string(raw))
	if err != nil {
		return nil, usageError{fmt.Errorf("--anchor %s: %w", arg, err)}
	}
	return as, nil
}

// verifySummary is verify's one line: how many records, and the anchor
// of the last one to keep elsewhere.
func verifySummary(res hub.VerifyResult, o hub.VerifyOptions) string {
	if res.Records == 0 {
		return "audit trail empty"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "audit trail intact: %d records, last %d with hash %s", res.Records, res.Last.Seq, res.Last.Hash)
	if n := len(o.Anchors); n > 0 {
		fmt.Fprintf(&b, "; %d anchor(s) held", n)
	}
	if o.FromSeq > 1 {
		fmt.Fprintf(&b, "; from record %d only: verify without --since to check the head", o.FromSeq)
	}
	fmt.Fprintf(&b, "; anchor: %s", res.Last)
	return b.String()
}

// auditArrayWriter writes records as one indented JSON array as they
// come, holding none of them.
type auditArrayWriter struct {
	w io.Writer
	n int
}

func (a *auditArrayWriter) write(r hubapi.AuditRecord) error {
	raw, err := json.MarshalIndent(r, "  ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if a.n == 0 {
		sep = "[\n  "
	}
	a.n++
	_, err = fmt.Fprintf(a.w, "%s%s", sep, raw)
	return err
}

func (a *auditArrayWriter) close() error {
	if a.n == 0 {
		_, err := fmt.Fprintln(a.w, "[]")
		return err
	}
	_, err := fmt.Fprint(a.w, "\n]\n")
	return err
}
