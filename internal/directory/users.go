package directory

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/objmodel"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Users is the user service of the directory.
type Users struct {
	Store  storage.Store
	Audit  *audit.Recorder
	Hasher *password.Hasher
	Policy PasswordPolicy
	Now    func() time.Time
	// MobileOptional lifts OneAccess's default rule that every user has a
	// mobile number.
	MobileOptional bool
	// SessionsEnded, when set, is told the SSO sessions that disabling or
	// deleting a user ended (the wiring sends the applications that take
	// back-channel logout their notices).
	SessionsEnded func(ctx context.Context, tenantID string, sids []string)
	// SessionIdle is the SSO sessions' idle limit: a session unused this
	// long is over, though still stored (ListSessions leaves it out).
	SessionIdle time.Duration
}

func userTarget(id string) audit.Target { return audit.Target{Type: "user", ID: id} }

// Create adds a user and returns its id.
func (s *Users) Create(ctx context.Context, tenantID string, a audit.Actor, w *UserWrite) (string, error) {
	now := s.Now()
	u := &storage.User{TenantID: tenantID, ID: idgen.New(now), PwdMustModify: true, CreatedAt: now, UpdatedAt: now}
	if !w.UserName.Set || w.UserName.V == "" {
		return "", errUserNameRequired
	}
	if !s.MobileOptional && w.Mobile.V == "" {
		return "", errMobileRequired
	}
	if err := s.apply(u, w); err != nil {
		return "", err
	}
	if w.Password.V != "" {
		if f := s.Policy.Check("password", w.Password.V, u.UserName); f != nil {
			return "", f
		}
		hash, err := s.Hasher.Hash(w.Password.V)
		if err != nil {
			return "", err
		}
		u.PasswordHash, u.PwdChangedAt = hash, now
	}
	plan := w.orgPlan(true)
	err := s.Audit.Do(ctx, tenantID, a, "user.create", userTarget(u.ID), func(tx storage.Repos, _ *audit.Target) error {
		var err error
		if u.Orgs, u.HomeOrgID, err = plan.resolve(ctx, tx, tenantID, nil); err != nil {
			return err
		}
		if err := checkManager(ctx, tx, u); err != nil {
			return err
		}
		if u.Extension, err = objmodel.Check(ctx, tx, tenantID, storage.EntityUser, "", u.ID, u.Extension, nil); err != nil {
			return err
		}
		return conflictFailure(tx.Users().Create(ctx, u))
	})
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// Update changes the fields w sends; absent fields keep their value.
func (s *Users) Update(ctx context.Context, tenantID string, a audit.Actor, id string, w *UserWrite) error {
	if w.Password.Set {
		return errPasswordInModify
	}
	if w.UserName.Set && w.UserName.V == "" {
		return errUserNameRequired
	}
	if w.Mobile.Set && w.Mobile.V == "" && !s.MobileOptional {
		return errMobileRequired
	}
	plan := w.orgPlan(false)
	return s.Audit.Do(ctx, tenantID, a, "user.update", userTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		_, err := tx.Users().Update(ctx, tenantID, id, func(u *storage.User) error {
			if err := s.apply(u, w); err != nil {
				return err
			}
			var err error
			if u.Orgs, u.HomeOrgID, err = plan.resolve(ctx, tx, tenantID, u.Orgs); err != nil {
				return err
			}
			if err := checkManager(ctx, tx, u); err != nil {
				return err
			}
			if u.Extension, err = objmodel.Check(ctx, tx, tenantID, storage.EntityUser, "", u.ID, u.Extension, sentKeys(w.Extension)); err != nil {
				return err
			}
			u.UpdatedAt = s.Now()
			return nil
		})
		return conflictFailure(notFoundUser(err))
	})
}

// apply checks and copies every sent field of w except password and
// organisations onto u.
func (s *Users) apply(u *storage.User, w *UserWrite) error {
	if w.UserName.Set {
		if f := checkUserName(w.UserName.V); f != nil {
			return f
		}
		u.UserName, u.UserNameKey = w.UserName.V, UserNameKey(w.UserName.V)
		if u.Name == "" && !w.Name.Set {
			u.Name = u.UserName // OneAccess: an empty name copies user_name
		}
	}
	if w.Mobile.Set {
		u.Mobile, u.MobileKey = w.Mobile.V, ""
		if w.Mobile.V != "" {
			if u.MobileKey = MobileKey(w.Mobile.V); u.MobileKey == "" {
				return errMobileInvalid
			}
		}
	}
	if w.Email.Set {
		if w.Email.V != "" {
			if f := checkEmail(w.Email.V); f != nil {
				return f
			}
		}
		u.Email, u.EmailKey = w.Email.V, EmailKey(w.Email.V)
	}
	if w.Name.Set {
		if f := checkName(w.Name.V); f != nil {
			return f
		}
		u.Name = w.Name.V
		if u.Name == "" {
			u.Name = u.UserName
		}
	}
	texts := []struct {
		code, field string
		v           *string
		sent        bool
		val         string
		max         int
	}{
		{"USER.0011", "employee_id", &u.EmployeeID, w.EmployeeID.Set, w.EmployeeID.V, 64},
		{"USER.0021", "external_id", &u.ExternalID, w.ExternalID.Set, w.ExternalID.V, 128},
		{"USER.0012", "first_name", &u.FirstName, w.FirstName.Set, w.FirstName.V, 64},
		{"USER.0012", "middle_name", &u.MiddleName, w.MiddleName.Set, w.MiddleName.V, 64},
		{"USER.0012", "last_name", &u.LastName, w.LastName.Set, w.LastName.V, 64},
	}
	for _, t := range texts {
		if !t.sent {
			continue
		}
		if f := checkText(t.code, t.field, t.val, t.max); f != nil {
			return f
		}
		*t.v = t.val
	}
	if w.PwdMustModify.Set {
		u.PwdMustModify = w.PwdMustModify.V
	}
	if err := applyProfile(u, w); err != nil {
		return err
	}
	if w.Extension.Set {
		base := u.Extension
		if w.Extension.Null {
			base = nil
		}
		ext, f := mergeExtension(base, w.Extension.V)
		if f != nil {
			return f
		}
		u.Extension = ext
	}
	return nil
}

func applyProfile(u *storage.User, w *UserWrite) error {
	prof := map[string]string{}
	if len(u.Profile) > 0 {
		json.Unmarshal(u.Profile, &prof)
	}
	changed := false
	for _, f := range w.profileFields() {
		if !f.v.Set {
			continue
		}
		if fl := checkProfileField(f.name, f.v.V); fl != nil {
			return fl
		}
		if f.v.V == "" {
			delete(prof, f.name)
		} else {
			prof[f.name] = f.v.V
		}
		changed = true
	}
	if changed || len(u.Profile) == 0 {
		u.Profile, _ = json.Marshal(prof)
	}
	return nil
}

// checkManager makes sure attr_manager_id names another user of the tenant.
func checkManager(ctx context.Context, tx storage.Repos, u *storage.User) error {
	var prof struct {
		Manager string `json:"attr_manager_id"`
	}
	json.Unmarshal(u.Profile, &prof)
	if prof.Manager == "" {
		return nil
	}
	if prof.Manager == u.ID {
		return errManagerNotFound
	}
	if _, err := tx.Users().Get(ctx, u.TenantID, prof.Manager); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return errManagerNotFound
		}
		return err
	}
	return nil
}

// conflictFailure maps a storage conflict to the failure naming the field.
func conflictFailure(err error) error {
	var ce *storage.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.Field {
	case "user_name":
		return errUserNameTaken
	case "mobile":
		return errMobileTaken
	case "email":
		return errEmailTaken
	case "employee_id":
		return errEmployeeIDTaken
	}
	return err
}

func notFoundUser(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrUserNotFound
	}
	return err
}

// Delete removes a user and its memberships, and ends its SSO sessions.
func (s *Users) Delete(ctx context.Context, tenantID string, a audit.Actor, id string) error {
	var sids []string
	err := s.Audit.Do(ctx, tenantID, a, "user.delete", userTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		var err error
		if sids, err = tx.Sessions().DeleteForUser(ctx, tenantID, id); err != nil {
			return err
		}
		return notFoundUser(tx.Users().Delete(ctx, tenantID, id))
	})
	if err == nil {
		s.sessionsEnded(ctx, tenantID, sids)
	}
	return err
}

// SetDisabled enables or disables a user. A disabled user cannot sign in,
// and its SSO sessions end with the change.
func (s *Users) SetDisabled(ctx context.Context, tenantID string, a audit.Actor, id string, disabled bool) error {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	var sids []string
	err := s.Audit.Do(ctx, tenantID, a, action, userTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		_, err := tx.Users().Update(ctx, tenantID, id, func(u *storage.User) error {
			u.Disabled = disabled
			u.UpdatedAt = s.Now()
			return nil
		})
		if err != nil || !disabled {
			return notFoundUser(err)
		}
		sids, err = tx.Sessions().DeleteForUser(ctx, tenantID, id)
		return err
	})
	if err == nil {
		s.sessionsEnded(ctx, tenantID, sids)
	}
	return err
}

func (s *Users) sessionsEnded(ctx context.Context, tenantID string, sids []string) {
	if len(sids) > 0 && s.SessionsEnded != nil {
		s.SessionsEnded(ctx, tenantID, sids)
	}
}

// SetPassword is the administrator's password change: the new password
// must meet the policy; mustModify (default true) forces a change at the
// user's next sign-in.
func (s *Users) SetPassword(ctx context.Context, tenantID string, a audit.Actor, id, newPassword string, mustModify *bool) error {
	if newPassword == "" {
		return errPasswordRequired
	}
	u, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if f := s.Policy.Check("password", newPassword, u.UserName); f != nil {
		return f
	}
	hash, err := s.Hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	force := true
	if mustModify != nil {
		force = *mustModify
	}
	return s.Audit.Do(ctx, tenantID, a, "user.password.set", userTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		_, err := tx.Users().Update(ctx, tenantID, id, func(u *storage.User) error {
			now := s.Now()
			u.PasswordHash, u.PwdChangedAt, u.PwdMustModify, u.UpdatedAt = hash, now, force, now
			return nil
		})
		return notFoundUser(err)
	})
}

// ChangePassword is the user's own change: the original password must be
// right, and the new one must meet the policy and differ from it.
func (s *Users) ChangePassword(ctx context.Context, tenantID string, a audit.Actor, id, oldPassword, newPassword string) error {
	if oldPassword == "" {
		return errOldPasswordRequired
	}
	if newPassword == "" {
		return errPasswordRequired
	}
	u, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if u.PasswordHash == "" || !s.Hasher.Verify(u.PasswordHash, oldPassword) {
		s.recordFailure(ctx, tenantID, a, "user.password.change", id, errOldPasswordWrong)
		return errOldPasswordWrong
	}
	if oldPassword == newPassword {
		return errPasswordUnchanged
	}
	if f := s.Policy.Check("password", newPassword, u.UserName); f != nil {
		return f
	}
	hash, err := s.Hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	verified := u.PasswordHash
	return s.Audit.Do(ctx, tenantID, a, "user.password.change", userTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		_, err := tx.Users().Update(ctx, tenantID, id, func(u *storage.User) error {
			if u.PasswordHash != verified { // changed meanwhile: verify again
				return errOldPasswordWrong
			}
			now := s.Now()
			u.PasswordHash, u.PwdChangedAt, u.PwdMustModify, u.UpdatedAt = hash, now, false, now
			return nil
		})
		return notFoundUser(err)
	})
}

func (s *Users) recordFailure(ctx context.Context, tenantID string, a audit.Actor, action, id string, f *failure.Failure) {
	ev := s.Audit.Event(tenantID, a, action, userTarget(id), storage.ResultFailure, f.Code)
	if err := s.Store.Audit().Append(ctx, ev); err != nil {
		s.Audit.Log.Error("audit: cannot record failure", "action", action, "err", err)
	}
}

// Get returns a user by id.
func (s *Users) Get(ctx context.Context, tenantID, id string) (*storage.User, error) {
	u, err := s.Store.Users().Get(ctx, tenantID, id)
	return u, notFoundUser(err)
}

// GetByUserName returns a user by user name (case-insensitive).
func (s *Users) GetByUserName(ctx context.Context, tenantID, name string) (*storage.User, error) {
	if name == "" {
		return nil, errUserNameRequired
	}
	u, err := s.Store.Users().GetByUserNameKey(ctx, tenantID, UserNameKey(name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "USER.0001", "user_name", "User does not exist.")
	}
	return u, err
}

// List returns a page of users and the number matching the filter. An
// organisation filter must name an organisation of the tenant.
func (s *Users) List(ctx context.Context, tenantID string, f storage.UserFilter) ([]storage.User, int, error) {
	if f.OrgID != "" {
		if _, err := s.Store.Orgs().Get(ctx, tenantID, f.OrgID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return nil, 0, orgNotFound("org_id")
			}
			return nil, 0, err
		}
	}
	return s.Store.Users().List(ctx, tenantID, f)
}

// sentKeys lists the extension keys a write named (none when it sent no
// extension), for objmodel.Check on update.
func sentKeys(v opt.Value[map[string]json.RawMessage]) []string {
	keys := []string{}
	if v.Set {
		for k := range v.V {
			keys = append(keys, k)
		}
	}
	return keys
}
