// Package api holds what the sample stack's services share: the records they
// keep in store, and clients for store and passport, including the bearer
// token check every authenticated endpoint uses. It is stdlib-only.
package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"
)

// Key prefixes in store, one per kind of record.
const (
	UsersPrefix    = "users/"
	WorksPrefix    = "works/"
	MessagesPrefix = "messages/"
)

// Roles a user can have.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
)

// Everyone is the recipient of announcements.
const Everyone = "all"

// User is a passport account, stored at users/<Name>. The salted SHA-256 is
// enough for a local sample stack and nothing else.
type User struct {
	Name         string `json:"name"`
	Role         string `json:"role"`
	Salt         string `json:"salt"`
	PasswordHash string `json:"password_hash"`
}

// NewUser returns a user with a fresh salt and the password's hash.
func NewUser(name, role, password string) User {
	salt := make([]byte, 16)
	rand.Read(salt)
	u := User{Name: name, Role: role, Salt: hex.EncodeToString(salt)}
	u.PasswordHash = u.hash(password)
	return u
}

// CheckPassword reports whether password is the user's.
func (u User) CheckPassword(password string) bool {
	return subtle.ConstantTimeCompare([]byte(u.hash(password)), []byte(u.PasswordHash)) == 1
}

func (u User) hash(password string) string {
	sum := sha256.Sum256([]byte(u.Salt + ":" + password))
	return hex.EncodeToString(sum[:])
}

// Claims is who a valid token speaks for.
type Claims struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Work is one item of the works service, stored at works/<ID>.
type Work struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Body    string    `json:"body,omitempty"`
	Author  string    `json:"author"`
	Created time.Time `json:"created"`
}

// Message is a notification, stored at messages/<ID>. To is a user name
// or Everyone.
type Message struct {
	ID      string    `json:"id"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Text    string    `json:"text"`
	Created time.Time `json:"created"`
}

// NewID returns an ID that sorts by creation time: the nanosecond clock in
// fixed-width decimal.
func NewID(now time.Time) string {
	return now.UTC().Format("20060102150405.000000000")
}
