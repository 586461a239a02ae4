package authn

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Passwords checks sign-in by password.
type Passwords struct {
	Store  storage.Store
	Hasher *password.Hasher
	Audit  *audit.Recorder
	Now    func() time.Time
	// dummy is a hash compared against when no user matches, so that an
	// unknown account costs as much time as a wrong password.
	dummyOnce sync.Once
	dummy     string
}

// Failures of sign-in. The message never says which part was wrong.
var (
	ErrBadCredentials = failure.New(failure.Unauthenticated, "LOGIN.0002", "password", "Invalid account name or password.")
	ErrDisabled       = failure.New(failure.Forbidden, "LOGIN.0003", "user_name", "This account is disabled.")
)

// Authenticate finds the user by user name, e-mail or mobile number and
// checks the password. Every attempt is audited.
func (p *Passwords) Authenticate(ctx context.Context, tenantID, identifier, pw string, a audit.Actor) (*storage.User, error) {
	identifier = strings.TrimSpace(identifier)
	u, err := p.find(ctx, tenantID, identifier)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	hash := p.dummyHash()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok := p.Hasher.Verify(hash, pw) && u != nil && u.PasswordHash != ""
	target := audit.Target{Type: "user"}
	if u != nil {
		target.ID = u.ID
		a.Type, a.ID = audit.ActorUser, u.ID
	}
	switch {
	case !ok:
		p.record(ctx, tenantID, a, target, storage.ResultFailure, ErrBadCredentials.Code)
		return nil, ErrBadCredentials
	case u.Disabled:
		p.record(ctx, tenantID, a, target, storage.ResultFailure, ErrDisabled.Code)
		return nil, ErrDisabled
	}
	p.record(ctx, tenantID, a, target, storage.ResultSuccess, "pwd")
	return u, nil
}

// find tries the identifier as a user name, then as an e-mail address,
// then as a mobile number.
func (p *Passwords) find(ctx context.Context, tenantID, id string) (*storage.User, error) {
	if id == "" || len(id) > 256 {
		return nil, storage.ErrNotFound
	}
	users := p.Store.Users()
	u, err := users.GetByLogin(ctx, tenantID, storage.LoginUserName, directory.UserNameKey(id))
	if !errors.Is(err, storage.ErrNotFound) {
		return u, err
	}
	if strings.Contains(id, "@") {
		u, err = users.GetByLogin(ctx, tenantID, storage.LoginEmail, directory.EmailKey(id))
		if !errors.Is(err, storage.ErrNotFound) {
			return u, err
		}
	}
	if k := directory.MobileKey(id); k != "" {
		return users.GetByLogin(ctx, tenantID, storage.LoginMobile, k)
	}
	return nil, storage.ErrNotFound
}

func (p *Passwords) dummyHash() string {
	p.dummyOnce.Do(func() { p.dummy, _ = p.Hasher.Hash("gatehouse-timing-equaliser") })
	return p.dummy
}

func (p *Passwords) record(ctx context.Context, tenantID string, a audit.Actor, t audit.Target, result, detail string) {
	if err := p.Store.Audit().Append(ctx, p.Audit.Event(tenantID, a, "login.password", t, result, detail)); err != nil {
		p.Audit.Log.Error("audit: cannot record sign-in", "err", err)
	}
}
