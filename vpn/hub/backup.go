package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// adminBackup streams a consistent copy of the store: one read
// transaction sees one commit, whatever the hub writes meanwhile.
//
//	GET /v1/backup -> the store file (Content-Length is its size)
const adminBackup = "/v1/backup"

// BackupOptions says whose store to copy, and where.
type BackupOptions struct {
	DataDir string // the hub's data directory
	File    string // the copy; replaced atomically, mode 0600
}

// BackupResult describes a backup that was written.
type BackupResult struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	Online bool   `json:"online"` // taken from the running hub, through its admin socket
}

// Backup copies the hub's store to opts.File: through the admin socket
// while the hub runs, else from the stopped hub's store. The copy is
// checked as devenv hub doctor would before it replaces opts.File, so a
// backup that exists is one that opens.
func Backup(ctx context.Context, opts BackupOptions) (BackupResult, error) {
	res := BackupResult{File: opts.File}
	store := filepath.Join(opts.DataDir, storeName)
	if a, b, err := absPaths(store, opts.File); err != nil || a == b {
		return res, fmt.Errorf("backing up to %s: name a file other than the hub's store", opts.File)
	}
	tmp, err := os.CreateTemp(filepath.Dir(opts.File), "."+filepath.Base(opts.File)+".*.partial")
	if err != nil {
		return res, fmt.Errorf("backing up: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	res.Size, err = NewAdminClient(opts.DataDir).Backup(ctx, tmp)
	res.Online = err == nil
	if errors.Is(err, ErrNoHub) {
		res.Size, err = backupOffline(store, tmp)
	}
	if err != nil {
		return res, err
	}
	if err := tmp.Sync(); err != nil {
		return res, fmt.Errorf("writing the backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return res, fmt.Errorf("writing the backup: %w", err)
	}
	if err := checkBackup(tmp.Name()); err != nil {
		return res, err
	}
	if err := os.Rename(tmp.Name(), opts.File); err != nil {
		return res, fmt.Errorf("writing the backup: %w", err)
	}
	syncDir(filepath.Dir(opts.File))
	return res, nil
}

func absPaths(a, b string) (string, string, error) {
	a, err := filepath.Abs(a)
	if err != nil {
		return "", "", err
	}
	b, err = filepath.Abs(b)
	return a, b, err
}

// backupOffline copies a stopped hub's store.
func backupOffline(store string, f *os.File) (int64, error) {
	if err := f.Truncate(0); err != nil {
		return 0, fmt.Errorf("writing the backup: %w", err)
	}
	db, err := openStoreReadOnly(store)
	if errors.Is(err, errLocked) {
		return 0, fmt.Errorf("%w, but its admin socket does not answer; restart it, or stop it and run the backup again", ErrHubRunning)
	}
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = viewStore(db, func(tx *bolt.Tx) (err error) {
		n, err = tx.WriteTo(f)
		return err
	})
	return n, err
}

// checkBackup opens the copy and runs the doctor's checks on it.
func checkBackup(path string) error {
	db, err := openForDoctor(path)
	if err != nil {
		return fmt.Errorf("checking the backup: %w", err)
	}
	defer db.Close()
	found := inspectStore(db)
	if d := metaDamage(path); d != nil {
		found = append(found, *d)
	}
	if len(found) > 0 {
		return fmt.Errorf("the backup is damaged, so it was not kept (the hub's store may be too: devenv hub doctor): %w",
			damagedError(path, found))
	}
	return nil
}

// syncDir makes a rename in dir durable; where directories cannot be
// synced (Windows), the rename stands without it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Backup writes a consistent copy of the running hub's store to w.
func (c *AdminClient) Backup(ctx context.Context, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hub"+adminBackup, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("%w (%s); start it with devenv hub serve --state-dir %s", ErrNoHub, c.dataDir, c.dataDir)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return 0, errorFromBody(resp.StatusCode, raw)
	}
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, fmt.Errorf("receiving the backup from the hub: %w", err)
	}
	return n, nil
}

func (h *Hub) adminBackup(w http.ResponseWriter, r *http.Request) error {
	return h.db.View(func(tx *bolt.Tx) error {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(tx.Size(), 10))
		if _, err := tx.WriteTo(w); err != nil && r.Context().Err() == nil {
			// The answer has begun: the client sees a short body.
			h.log.Warn("sending a backup failed", "err", err)
		}
		return nil
	})
}
