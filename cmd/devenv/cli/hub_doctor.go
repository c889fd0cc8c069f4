package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func newHubDoctorCmd(g *globals, dataDir *string) *cobra.Command {
	var o hub.DoctorOptions
	cmd := &cobra.Command{
		Use:   "doctor [--repair NEW.db]",
		Short: "Check a stopped hub's store; --repair salvages what can be read into a new store",
		Long: `doctor checks the store of a stopped hub: its two meta pages (a corrupt one
loses the newest commit), every page, every record, and the audit chain. It
never modifies the store. With --repair it copies every record it can read
into a new store and says what it could not; to use the new store:

  mv DIR/hub.db DIR/hub.db.damaged && mv NEW.db DIR/hub.db && devenv hub serve ...  (DIR: --state-dir)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.DataDir = *dataDir
			rep, err := hub.Doctor(o)
			if err != nil {
				return err
			}
			if g.jsonOut() {
				if err := writeJSON(g.stdout, rep); err != nil {
					return err
				}
			} else if err := writeDoctorReport(g.stdout, rep, *dataDir); err != nil {
				return err
			}
			if len(rep.Damage) > 0 && rep.Repair == nil {
				return fmt.Errorf("%w: %s (above); salvage it with devenv hub doctor --repair NEW.db, or restore a backup", hub.ErrDamaged, rep.Store)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Store, "store", "", "examine this store file (e.g. a backup) instead of the one in --state-dir")
	cmd.Flags().StringVar(&o.RepairTo, "repair", "", "copy every readable record into this new store file (it must not exist)")
	textOrJSON(cmd)
	return cmd
}

func writeDoctorReport(w io.Writer, rep hub.DoctorReport, dataDir string) error {
	if len(rep.Damage) == 0 {
		fmt.Fprintf(w, "%s: no damage found\n", rep.Store)
	} else {
		fmt.Fprintf(w, "%s is damaged:\n", rep.Store)
		writeDamage(w, rep.Damage)
	}
	r := rep.Repair
	if r == nil {
		return nil
	}
	keys := 0
	for _, n := range r.Copied {
		keys += n
	}
	if keys == 0 {
		fmt.Fprintf(w, "\nnothing could be read into %s: restore the last backup (devenv hub backup) instead\n", r.Store)
	} else {
		fmt.Fprintf(w, "\nrepaired into %s: %d keys copied (%s)\n", r.Store, keys, copiedSummary(r.Copied))
	}
	if len(r.Lost) == 0 {
		fmt.Fprintln(w, "nothing was lost")
	} else {
		fmt.Fprintln(w, "lost:")
		writeDamage(w, r.Lost)
	}
	fmt.Fprintf(w, "audit trail: %s\n", hubapi.Printable(r.Audit))
	fmt.Fprintf(w, "\nthe damaged store was not modified. To serve the repaired one, stop the hub, then:\n"+
		"  mv %[1]s %[1]s.damaged && mv %[2]s %[1]s\n", filepath.Join(dataDir, "hub.db"), r.Store)
	return nil
}

func writeDamage(w io.Writer, ds []hub.Damage) {
	for _, d := range ds {
		fmt.Fprintf(w, "  %s: %s\n", hubapi.Printable(d.Where), hubapi.Printable(d.What))
	}
}

func copiedSummary(copied map[string]int) string {
	var parts []string
	for name, n := range copied {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func newHubBackupCmd(g *globals, dataDir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Copy the hub's store to FILE: consistent while the hub runs, or from a stopped hub's --state-dir",
		Long: `backup writes a consistent copy of the hub's store (through the admin socket
while the hub runs), checks it, and puts it in place atomically, mode 0600.
The copy holds the hub's WireGuard key and token hashes: keep it as safe as
the state directory. To restore: stop the hub, replace DIR/hub.db (DIR: --state-dir) with the
copy, start the hub.`,
		Args: hubArgs(1, "backup takes one argument: the file to write"),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := hub.Backup(cmd.Context(), hub.BackupOptions{DataDir: *dataDir, File: args[0]})
			if err != nil {
				return err
			}
			how := "from the stopped hub's store"
			if res.Online {
				how = "from the running hub"
			}
			fmt.Fprintf(g.stderr, "backed up %s (%d bytes) %s\n", res.File, res.Size, how)
			return nil
		},
	}
}
