// Package kv is the sample stack's data store: a key-value map served over
// HTTP and optionally snapshotted to a directory after every write. The
// store command serves it; other services' tests run it in-process.
package kv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// SnapshotName is the file a Store keeps under its data directory.
const SnapshotName = "store.json"

// Store is the in-memory key-value map, optionally mirrored to a snapshot
// file after every write so a volume keeps data across restarts.
type Store struct {
	mu   sync.RWMutex
	data map[string]string // guarded by mu
	file string            // snapshot path; "" keeps data in memory only
}

// Open loads the snapshot in dir, if dir is set and a snapshot exists.
func Open(dir string) (*Store, error) {
	s := &Store{data: map[string]string{}}
	if dir == "" {
		return s, nil
	}
	s.file = filepath.Join(dir, SnapshotName)
	b, err := os.ReadFile(s.file)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading snapshot: %w", err)
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, fmt.Errorf("reading snapshot %s: %w", s.file, err)
	}
	return s, nil
}

func (s *Store) get(key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.data[key]
	return v, ok
}

func (s *Store) List(prefix string) []api.Item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	items := []api.Item{}
	for k, v := range s.data {
		if strings.HasPrefix(k, prefix) {
			items = append(items, api.Item{Key: k, Value: v})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	return items
}

// set stores value under key, or deletes key when value is nil.
func (s *Store) set(key string, value *string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == nil {
		delete(s.data, key)
	} else {
		s.data[key] = *value
	}
	return s.saveLocked()
}

// saveLocked writes the snapshot atomically: a crash leaves the old one.
func (s *Store) saveLocked() error {
	if s.file == "" {
		return nil
	}
	b, err := json.Marshal(s.data)
	if err != nil {
		return err
	}
	tmp := s.file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing snapshot: %w", err)
	}
	if err := os.Rename(tmp, s.file); err != nil {
		return fmt.Errorf("writing snapshot: %w", err)
	}
	return nil
}

// Routes is the /kv API: GET, PUT and DELETE /kv/{key}, GET /kv?prefix=.
func (s *Store) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv", func(w http.ResponseWriter, r *http.Request) {
		svc.WriteJSON(w, http.StatusOK, s.List(r.URL.Query().Get("prefix")))
	})
	mux.HandleFunc("GET /kv/{key...}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.get(r.PathValue("key"))
		if !ok {
			svc.WriteError(w, http.StatusNotFound, "no such key")
			return
		}
		io.WriteString(w, v)
	})
	mux.HandleFunc("PUT /kv/{key...}", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			svc.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		v := string(b)
		s.write(w, r.PathValue("key"), &v)
	})
	mux.HandleFunc("DELETE /kv/{key...}", func(w http.ResponseWriter, r *http.Request) {
		s.write(w, r.PathValue("key"), nil)
	})
	return mux
}

func (s *Store) write(w http.ResponseWriter, key string, value *string) {
	if key == "" {
		svc.WriteError(w, http.StatusBadRequest, "empty key")
		return
	}
	if err := s.set(key, value); err != nil {
		svc.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
