package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The store is one bbolt file. Every operation is one transaction, so a
// crash at any point leaves either all of an operation or none of it.
//
//	meta     version -> uint64 (netmap version), wgkey -> hub private key
//	users    name -> userRecord
//	invites  id -> inviteRecord
//	devices  id -> deviceRecord (revoked devices stay, marked, until removed)
//	leases   address bytes -> device id (live devices only)
//	names    user "\x00" device name -> device id (live devices only)
//	keys     public key -> device id (live devices only)
//	tokens   hex SHA-256 of a device token -> device id
//	audit    Seq as 8 bytes big-endian -> hubapi.AuditRecord (the trail of both halves)
//
// Extensions keep their own buckets in the same file (Bucket,
// RegisterBuckets): production access keeps its requests, grants and
// gateways there (package accesshub).
var (
	bucketMeta    = []byte("meta")
	bucketUsers   = []byte("users")
	bucketInvites = []byte("invites")
	bucketDevices = []byte("devices")
	bucketLeases  = []byte("leases")
	bucketNames   = []byte("names")
	bucketKeys    = []byte("keys")
	bucketTokens  = []byte("tokens")
	bucketAudit   = []byte("audit")

	lanBuckets = [][]byte{bucketMeta, bucketUsers, bucketInvites, bucketDevices,
		bucketLeases, bucketNames, bucketKeys, bucketTokens, bucketAudit}

	keyVersion = []byte("version")
	keyWGKey   = []byte("wgkey")
)

// allBuckets are the hub's buckets and its extensions'.
func allBuckets() [][]byte {
	all := append([][]byte(nil), lanBuckets...)
	for _, b := range extensionBuckets() {
		all = append(all, b.Name)
	}
	return all
}

// errLocked is returned when another process holds the store.
var errLocked = errors.New("another devenv hub is running on this state directory")

type userRecord struct {
	Name    string      `json:"name"`
	Role    hubapi.Role `json:"role"`
	Created time.Time   `json:"created"`
	ID      string      `json:"id,omitempty"` // unique for ever: a name removed and added again is another user
}

type inviteRecord struct {
	ID         string    `json:"id"`
	User       string    `json:"user"`
	SecretHash []byte    `json:"secret_hash"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
	Uses       int       `json:"uses"` // how many enrollments it allows
	Used       int       `json:"used"`
}

type deviceRecord struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	User      string    `json:"user"`
	PublicKey string    `json:"public_key"`
	Address   string    `json:"address"` // a single address, e.g. 100.100.0.7
	Created   time.Time `json:"created"`
	Revoked   bool      `json:"revoked,omitempty"`
	TokenHash string    `json:"token_hash"`
	UserID    string    `json:"user_id,omitempty"` // the user's ID (users.go); empty in older records
	Invite    string    `json:"invite,omitempty"`  // the invite it enrolled with
	// TokenSeen: the device has used its token, so the enrollment's answer
	// reached it; until then a retry of the enrollment may reissue it.
	TokenSeen bool `json:"token_seen,omitempty"`
}

func (d deviceRecord) api() hubapi.Device {
	return hubapi.Device{ID: d.ID, Name: d.Name, User: d.User, PublicKey: d.PublicKey,
		Address: d.Address + "/" + hostBits(d.Address), Created: d.Created, Revoked: d.Revoked}
}

// openStore opens the hub's store for reading and writing. It refuses a
// damaged store (fail closed: a security store that lost a commit or a
// record could serve a revoked grant again), naming the damage and the
// doctor that lists and salvages it, before anything is written to it:
// bbolt's next commit would overwrite a corrupt meta page, and with it the
// only trace of the commit that was lost.
func openStore(path string) (*bolt.DB, error) {
	var db *bolt.DB
	err := safely(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
		return err
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", path, errLocked)
	}
	if err != nil {
		return nil, damagedOr(path, err)
	}
	if err := checkOpenedStore(db, path); err != nil {
		db.Close()
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets() {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initializing %s: %w", path, err)
	}
	return db, nil
}

// openStoreReadOnly opens a stopped hub's store to read it, refusing a
// damaged meta page as openStore does.
func openStoreReadOnly(path string) (*bolt.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening the hub's store: %w", err)
	}
	var db *bolt.DB
	err := safely(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		return err
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", path, errLocked)
	}
	if err != nil {
		return nil, damagedOr(path, err)
	}
	if d := metaDamage(path); d != nil {
		db.Close()
		return nil, damagedError(path, []Damage{*d})
	}
	return db, nil
}

// checkOpenedStore is the check of every start: both meta pages, bbolt's
// own page check and every record's JSON, all before the first write.
func checkOpenedStore(db *bolt.DB, path string) error {
	var found []Damage
	if d := metaDamage(path); d != nil {
		found = append(found, *d)
	}
	found = append(found, inspectStore(db)...)
	if len(found) > 0 {
		return damagedError(path, found)
	}
	return nil
}

// viewStore is db.View for a store that may be damaged: bbolt panics on
// some corrupt pages, and a panic becomes an error naming the file and the
// doctor.
func viewStore(db *bolt.DB, fn func(*bolt.Tx) error) error {
	err := safely(func() error { return db.View(fn) })
	if errors.Is(err, errDamagedPage) {
		return damagedError(db.Path(), []Damage{{Where: "pages", What: err.Error()}})
	}
	return err
}

func getJSON(b *bolt.Bucket, key string, v any) (bool, error) {
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("reading record %q: %w; devenv hub doctor lists the damaged records", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// version is the netmap version committed in tx.
func version(tx *bolt.Tx) uint64 {
	raw := tx.Bucket(bucketMeta).Get(keyVersion)
	if len(raw) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(raw)
}

// bumpVersion advances the netmap version inside tx and returns it.
func bumpVersion(tx *bolt.Tx) (uint64, error) {
	v := version(tx) + 1
	return v, tx.Bucket(bucketMeta).Put(keyVersion, binary.BigEndian.AppendUint64(nil, v))
}

// getDevice reads a device; ok is false when there is none with this id.
func getDevice(tx *bolt.Tx, id string) (deviceRecord, bool, error) {
	var d deviceRecord
	ok, err := getJSON(tx.Bucket(bucketDevices), id, &d)
	return d, ok, err
}

// liveDevices lists the devices that are not revoked, in id order.
func liveDevices(tx *bolt.Tx) ([]deviceRecord, error) {
	all, err := allDevices(tx)
	live := all[:0]
	for _, d := range all {
		if !d.Revoked {
			live = append(live, d)
		}
	}
	return live, err
}

func allDevices(tx *bolt.Tx) ([]deviceRecord, error) {
	var out []deviceRecord
	err := tx.Bucket(bucketDevices).ForEach(func(k, v []byte) error {
		var d deviceRecord
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("reading device %q: %w", k, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

func nameKey(user, device string) []byte { return []byte(user + "\x00" + device) }

// releaseDevice drops a live device's address, name and key, so they can
// be taken again; the record itself is the caller's business.
func releaseDevice(tx *bolt.Tx, d deviceRecord) error {
	addr, err := parseAddr(d.Address)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketLeases).Delete(addr.AsSlice()); err != nil {
		return err
	}
	if err := tx.Bucket(bucketNames).Delete(nameKey(d.User, d.Name)); err != nil {
		return err
	}
	return tx.Bucket(bucketKeys).Delete([]byte(d.PublicKey))
}

// secret returns n random bytes, URL-safe base64 encoded.
func secret(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newID returns a short random identifier.
func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// hashSecret is how secrets and tokens are stored: they are 32 random
// bytes, so a plain SHA-256 cannot be reversed by guessing.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
