package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// ErrNotFound is returned when store has no value under a key.
var ErrNotFound = errors.New("not found")

// Item is one key and its value, as store lists them.
type Item struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Store is a client of the store service's /kv API.
type Store struct{ svc.Client }

// NewStore returns a client of the store at baseURL.
func NewStore(baseURL string) *Store { return &Store{svc.Client{BaseURL: baseURL}} }

func kvPath(key string) string { return "/kv/" + url.PathEscape(key) }

// Get returns the value under key, or ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.Do(ctx, http.MethodGet, kvPath(key), "", nil, &v)
	if svc.HasStatus(err, http.StatusNotFound) {
		return nil, fmt.Errorf("store key %s: %w", key, ErrNotFound)
	}
	return v, err
}

// Put sets key to value.
func (s *Store) Put(ctx context.Context, key string, value []byte) error {
	return s.Do(ctx, http.MethodPut, kvPath(key), "", value, nil)
}

// List returns every item whose key starts with prefix, sorted by key.
func (s *Store) List(ctx context.Context, prefix string) ([]Item, error) {
	var items []Item
	err := s.Do(ctx, http.MethodGet, "/kv?prefix="+url.QueryEscape(prefix), "", nil, &items)
	return items, err
}

// GetJSON decodes the value under key into v.
func (s *Store) GetJSON(ctx context.Context, key string, v any) error {
	b, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("store key %s: %w", key, err)
	}
	return nil
}

// PutJSON stores v encoded as JSON under key.
func (s *Store) PutJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store key %s: %w", key, err)
	}
	return s.Put(ctx, key, b)
}

// ListJSON decodes every value under prefix with decode, in key order.
func ListJSON[T any](ctx context.Context, s *Store, prefix string) ([]T, error) {
	items, err := s.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		var v T
		if err := json.Unmarshal([]byte(it.Value), &v); err != nil {
			return nil, fmt.Errorf("store key %s: %w", it.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}
