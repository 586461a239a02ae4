package mfa

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// MaxAttempts is how many codes one pending sign-in may try: the fifth
// wrong code ends it, and the user starts again from the password.
const MaxAttempts = 5

// Failures of a code. Messages are safe to show the person signing in.
var (
	ErrWrongCode    = failure.New(failure.Unauthenticated, "MFA.0001", "code", "That code is not right. Check the time on your device and enter the current code.")
	ErrReplayedCode = failure.New(failure.Unauthenticated, "MFA.0002", "code", "That code was used already. Wait for the next code and enter it.")
	ErrTooMany      = failure.New(failure.Unauthenticated, "MFA.0003", "code", "Too many wrong codes. Sign in again.")
	ErrNoCredential = failure.New(failure.NotFound, "MFA.0004", "credential_id", "The second factor does not exist.")
)

// Audit actions.
const (
	ActionEnrol  = "mfa.enrol"
	ActionVerify = "mfa.verify"
	ActionRemove = "mfa.remove"
)

// TOTP enrols and checks users' TOTP authenticators.
type TOTP struct {
	Store  storage.Store
	Sealer *secret.Sealer
	Audit  *audit.Recorder
	Now    func() time.Time
}

// sealContext binds a sealed secret to its row: copied to another
// credential, it does not open.
func sealContext(tenantID, id string) string { return "mfa-totp:" + tenantID + ":" + id }

// Confirmed returns the user's confirmed TOTP credential, or nil when the
// user has none (and must enrol).
func (s *TOTP) Confirmed(ctx context.Context, tenantID, userID string) (*storage.MFACredential, error) {
	list, err := s.Store.MFACredentials().ListForUser(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Type == storage.MFATOTP && list[i].Confirmed {
			return &list[i], nil
		}
	}
	return nil, nil
}

// List returns the user's credentials, oldest first (secrets stay sealed).
func (s *TOTP) List(ctx context.Context, tenantID, userID string) ([]storage.MFACredential, error) {
	return s.Store.MFACredentials().ListForUser(ctx, tenantID, userID)
}

// Enrolment is what a user copies into an authenticator app.
type Enrolment struct {
	CredentialID string
	Secret       string // base32
	URI          string // otpauth://
}

// StartEnrolment creates an unconfirmed credential with a new secret for
// the user, replacing any earlier enrolment in progress. It is confirmed
// (and audited as an enrolment) by the first valid code (Verify).
func (s *TOTP) StartEnrolment(ctx context.Context, tenantID, userID string) (*storage.MFACredential, error) {
	now := s.Now()
	c := &storage.MFACredential{TenantID: tenantID, ID: idgen.New(now), UserID: userID, Type: storage.MFATOTP,
		Label: "Authenticator app", CreatedAt: now}
	raw := NewSecret()
	c.Secret = s.Sealer.Seal(raw, sealContext(tenantID, c.ID))
	err := s.Store.InTx(ctx, func(tx storage.Repos) error {
		if err := tx.MFACredentials().DeleteUnconfirmed(ctx, tenantID, userID); err != nil {
			return err
		}
		return tx.MFACredentials().Create(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Show opens an enrolment in progress for the enrolment page: the secret
// and the otpauth URI naming issuer (the tenant) and account (the user).
// A confirmed credential's secret is never shown again.
func (s *TOTP) Show(ctx context.Context, tenantID, userID, id, issuer, account string) (*Enrolment, error) {
	c, err := s.get(ctx, tenantID, userID, id)
	if err != nil {
		return nil, err
	}
	if c.Confirmed {
		return nil, ErrNoCredential
	}
	raw, err := s.Sealer.Open(c.Secret, sealContext(tenantID, c.ID))
	if err != nil {
		return nil, err
	}
	return &Enrolment{CredentialID: c.ID, Secret: EncodeSecret(raw), URI: URI(issuer, account, raw)}, nil
}

func (s *TOTP) get(ctx context.Context, tenantID, userID, id string) (*storage.MFACredential, error) {
	c, err := s.Store.MFACredentials().Get(ctx, tenantID, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (c.UserID != userID || c.Type != storage.MFATOTP)) {
		return nil, ErrNoCredential
	}
	return c, err
}

// Verify checks a code of the user's credential id: a confirmed one at
// sign-in, or an enrolment in progress, which the first valid code
// confirms. base is the credential's Attempts when the pending sign-in
// began: it may try MaxAttempts codes, and its last wrong one answers
// ErrTooMany. Each code is counted before it is checked, so parallel
// guesses count too. Refusals are audited without the code.
func (s *TOTP) Verify(ctx context.Context, tenantID, userID, id, code string, base int, a audit.Actor) error {
	a.Type, a.ID = audit.ActorUser, userID
	target := audit.Target{Type: "user", ID: userID}
	c, err := s.get(ctx, tenantID, userID, id)
	if err != nil {
		return err
	}
	action := ActionVerify
	if !c.Confirmed {
		action = ActionEnrol
	}
	n, err := s.Store.MFACredentials().AddAttempt(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if n > base+MaxAttempts {
		s.record(ctx, tenantID, a, action, target, ErrTooMany.Code)
		return ErrTooMany
	}
	raw, err := s.Sealer.Open(c.Secret, sealContext(tenantID, c.ID))
	if err != nil {
		return err
	}
	code = NormalizeCode(code)
	step, ok := Match(raw, code, s.Now(), c.LastUsedStep)
	if !ok {
		refusal := ErrWrongCode
		if _, spent := Match(raw, code, s.Now(), -1<<62); spent {
			refusal = ErrReplayedCode
		}
		s.record(ctx, tenantID, a, action, target, refusal.Code)
		if n >= base+MaxAttempts {
			return ErrTooMany
		}
		return refusal
	}
	// The step is spent in the transaction of the success event; a
	// concurrent request that spent it first makes this one a replay.
	return s.Audit.Do(ctx, tenantID, a, action, target, func(tx storage.Repos, _ *audit.Target) error {
		used, err := tx.MFACredentials().UseStep(ctx, tenantID, id, step)
		if err != nil {
			return err
		}
		if !used {
			return ErrReplayedCode
		}
		return nil
	})
}

// Credentials returns the user's credentials for an administrator, oldest
// first (secrets stay sealed and are never shown): unknown users (of this
// tenant) get directory.ErrUserNotFound.
func (s *TOTP) Credentials(ctx context.Context, tenantID, userID string) ([]storage.MFACredential, error) {
	if _, err := s.Store.Users().GetWithoutOrgs(ctx, tenantID, userID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, directory.ErrUserNotFound
		}
		return nil, err
	}
	return s.List(ctx, tenantID, userID)
}

// LastUsed is when c's last accepted code was current (the start of its
// 30-second step), or nil when no code was ever accepted.
func LastUsed(c *storage.MFACredential) *time.Time {
	if c.LastUsedStep <= 0 {
		return nil
	}
	t := time.Unix(c.LastUsedStep*int64(Period/time.Second), 0)
	return &t
}

// Remove deletes one of the user's credentials (an administrator resets a
// lost authenticator); the user enrols again at the next sign-in that
// needs a second factor. Unknown users get directory.ErrUserNotFound, a
// credential that is not the user's ErrNoCredential. The removal is
// audited with a as the actor and the credential's id as the detail.
func (s *TOTP) Remove(ctx context.Context, tenantID, userID, id string, a audit.Actor) error {
	_, err := s.remove(ctx, tenantID, userID, id, a)
	return err
}

// RemoveAll deletes every credential of the user, enrolments in progress
// included, and returns how many there were; each removal is audited as
// in Remove. A user without credentials is not an error.
func (s *TOTP) RemoveAll(ctx context.Context, tenantID, userID string, a audit.Actor) (int, error) {
	return s.remove(ctx, tenantID, userID, "", a)
}

// remove deletes the user's credential id, or all of them for "".
func (s *TOTP) remove(ctx context.Context, tenantID, userID, id string, a audit.Actor) (int, error) {
	target := audit.Target{Type: "user", ID: userID}
	n := 0
	err := s.Store.InTx(ctx, func(tx storage.Repos) error {
		n = 0
		if _, err := tx.Users().GetWithoutOrgs(ctx, tenantID, userID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return directory.ErrUserNotFound
			}
			return err
		}
		list, err := tx.MFACredentials().ListForUser(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		for _, c := range list {
			if id != "" && c.ID != id {
				continue
			}
			if err := tx.MFACredentials().Delete(ctx, tenantID, c.ID); err != nil {
				return err
			}
			if err := tx.Audit().Append(ctx, s.Audit.Event(tenantID, a, ActionRemove, target, storage.ResultSuccess, c.ID)); err != nil {
				return err
			}
			n++
		}
		if id != "" && n == 0 {
			return ErrNoCredential
		}
		return nil
	})
	if err != nil {
		detail := "internal error"
		if f, ok := failure.As(err); ok {
			detail = f.Code
		}
		s.record(context.WithoutCancel(ctx), tenantID, a, ActionRemove, target, detail)
		return 0, err
	}
	return n, nil
}

func (s *TOTP) record(ctx context.Context, tenantID string, a audit.Actor, action string, t audit.Target, detail string) {
	if err := s.Store.Audit().Append(ctx, s.Audit.Event(tenantID, a, action, t, storage.ResultFailure, detail)); err != nil {
		s.Audit.Log.Error("audit: cannot record a refusal", "err", err)
	}
}
