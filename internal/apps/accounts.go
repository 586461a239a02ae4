package apps

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/objmodel"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Accounts manages application accounts (ONEACCESS-API.md 2.11, 2.12, 3.3):
// the identity a user has inside one application. A form-fill password is
// kept sealed and never returned.
type Accounts struct {
	Store  storage.Store
	Audit  *audit.Recorder
	Sealer *secret.Sealer
	Now    func() time.Time
}

// AccountWrite is the body of account create and modify.
type AccountWrite struct {
	UserID      opt.String                            `json:"user_id"`
	AccountName opt.String                            `json:"account_name"`
	Name        opt.String                            `json:"name"`
	OrgCode     opt.String                            `json:"org_code"`
	Password    opt.String                            `json:"password"`
	Disabled    opt.Bool                              `json:"disabled"`
	Extension   opt.Value[map[string]json.RawMessage] `json:"extension"`
}

// Failures of the account API; the APP_ACCOUNT texts are OneAccess's.
var (
	ErrAccountNotFound    = failure.New(failure.NotFound, "APP_ACCOUNT.0001", "account_id", "Application account does not exist.")
	errAccountExists      = failure.New(failure.Conflict, "APP_ACCOUNT.0002", "user_id", "Application account already exists.")
	errAccountNameTaken   = failure.New(failure.Conflict, "APP_ACCOUNT.0002", "account_name", "Application account already exists.")
	errAccountNameNeeded  = failure.New(failure.Invalid, "APP_ACCOUNT.0035", "account_name", "Application account name required.")
	errAccountNameInvalid = failure.New(failure.Invalid, "APP_ACCOUNT.0036", "account_name", "Application account name invalid.")
	errAccountUserNeeded  = failure.New(failure.Invalid, "APP_ACCOUNT.0009", "user_id", "The user_id is required.")
	errAccountUser        = failure.New(failure.Invalid, "USER.0001", "user_id", "User does not exist.")
	errAccountOrg         = failure.New(failure.Invalid, "APP.ORG.0001", "org_code", "Application organization does not exist.")
)

// accountNameOK: 1-128 characters, no spaces or control characters.
func accountNameOK(n string) bool {
	if n == "" || utf8.RuneCountInString(n) > 128 || !utf8.ValidString(n) {
		return false
	}
	return !strings.ContainsFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

func accountTarget(id string) audit.Target { return audit.Target{Type: "app_account", ID: id} }

func passwordContext(tenantID, appID string) string {
	return "app-account-password:" + tenantID + ":" + appID
}

// appFor returns the application, refusing writes to a disabled one
// (APP.0003, as OneAccess documents for these APIs).
func appFor(ctx context.Context, tx storage.Repos, tenantID, appID string, write bool) (*storage.Application, error) {
	a, err := tx.Apps().Get(ctx, tenantID, appID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrAppNotFound
	}
	if err != nil {
		return nil, err
	}
	if write && a.Disabled {
		return nil, ErrAppDisabled
	}
	return a, nil
}

func accountConflict(err error) error {
	var ce *storage.ConflictError
	if errors.As(err, &ce) {
		switch ce.Field {
		case "user_id":
			return errAccountExists
		case "account_name":
			return errAccountNameTaken
		}
	}
	return err
}

// Authorize grants a user an application by creating the user's account
// (2.11); the account name defaults to the user name.
func (s *Accounts) Authorize(ctx context.Context, tenantID string, a audit.Actor, userID, appID, accountName string) (string, error) {
	w := &AccountWrite{UserID: opt.Some(userID)}
	if accountName != "" {
		w.AccountName = opt.Some(accountName)
	}
	return s.create(ctx, tenantID, a, appID, w, "app_account.authorize")
}

// Create adds a basic account (3.3 create).
func (s *Accounts) Create(ctx context.Context, tenantID string, a audit.Actor, appID string, w *AccountWrite) (string, error) {
	return s.create(ctx, tenantID, a, appID, w, "app_account.create")
}

func (s *Accounts) create(ctx context.Context, tenantID string, a audit.Actor, appID string, w *AccountWrite, action string) (string, error) {
	if w.UserID.V == "" {
		return "", errAccountUserNeeded
	}
	now := s.Now()
	acc := &storage.AppAccount{TenantID: tenantID, ID: idgen.New(now), ApplicationID: appID, UserID: w.UserID.V,
		AccountType: storage.AccountBasic, CreatedAt: now, UpdatedAt: now}
	err := s.Audit.Do(ctx, tenantID, a, action, accountTarget(acc.ID), func(tx storage.Repos, _ *audit.Target) error {
		app, err := appFor(ctx, tx, tenantID, appID, true)
		if err != nil {
			return err
		}
		u, err := tx.Users().Get(ctx, tenantID, w.UserID.V)
		if errors.Is(err, storage.ErrNotFound) {
			return errAccountUser
		}
		if err != nil {
			return err
		}
		acc.AccountName, acc.Name = AccountName(app, u), u.Name
		// Without an org_code, the account lands in the application
		// organisation mapped to the user's home organisation (or the
		// nearest one above it).
		if !w.OrgCode.Set && u.HomeOrgID != "" {
			o, err := tx.AppOrgs().ForOrg(ctx, tenantID, appID, u.HomeOrgID)
			switch {
			case err == nil:
				acc.AppOrgID = o.ID
			case !errors.Is(err, storage.ErrNotFound):
				return err
			}
		}
		if !w.AccountName.Set && !accountNameOK(acc.AccountName) {
			return failure.Invalidf("APP_ACCOUNT.0036", "account_name",
				"The application's account_name_rule gives no valid account name for this user (%s): send account_name.", app.AccountNameRule)
		}
		if err := s.apply(ctx, tx, acc, w); err != nil {
			return err
		}
		if acc.Extension, err = objmodel.Check(ctx, tx, tenantID, storage.EntityAppAccount, appID, acc.ID, acc.Extension, nil); err != nil {
			return err
		}
		return accountConflict(tx.AppAccounts().Create(ctx, acc))
	})
	if err != nil {
		return "", err
	}
	return acc.ID, nil
}

// apply copies what w sends (but user_id) onto acc.
func (s *Accounts) apply(ctx context.Context, tx storage.Repos, acc *storage.AppAccount, w *AccountWrite) error {
	if w.AccountName.Set {
		if w.AccountName.V == "" {
			return errAccountNameNeeded
		}
		if !accountNameOK(w.AccountName.V) {
			return errAccountNameInvalid
		}
		acc.AccountName = w.AccountName.V
	}
	if w.Name.Set {
		if utf8.RuneCountInString(w.Name.V) > 100 || strings.ContainsFunc(w.Name.V, unicode.IsControl) {
			return failure.Invalidf("APP_ACCOUNT.0010", "name", "The name must be at most 100 characters, without control characters.")
		}
		acc.Name = w.Name.V
	}
	if w.OrgCode.Set {
		acc.AppOrgID = ""
		if w.OrgCode.V != "" {
			o, err := tx.AppOrgs().GetByCode(ctx, acc.TenantID, acc.ApplicationID, w.OrgCode.V)
			if errors.Is(err, storage.ErrNotFound) {
				return errAccountOrg
			}
			if err != nil {
				return err
			}
			acc.AppOrgID = o.ID
		}
	}
	if w.Password.Set {
		acc.PasswordEnc = nil
		if w.Password.V != "" {
			if len(w.Password.V) > 1024 {
				return failure.Invalidf("APP_ACCOUNT.0011", "password", "The password must be at most 1024 bytes.")
			}
			acc.PasswordEnc = s.Sealer.Seal([]byte(w.Password.V), passwordContext(acc.TenantID, acc.ApplicationID))
		}
	}
	if w.Disabled.Set {
		acc.Disabled = w.Disabled.V
	}
	if w.Extension.Set {
		base := acc.Extension
		if w.Extension.Null {
			base = nil
		}
		ext, err := mergeExtension(base, w.Extension.V)
		if err != nil {
			return err
		}
		acc.Extension = ext
	}
	return nil
}

// mergeExtension sets the sent keys (null removes one) on the stored
// object; values are strings, numbers or booleans.
func mergeExtension(stored json.RawMessage, sent map[string]json.RawMessage) (json.RawMessage, error) {
	cur := map[string]json.RawMessage{}
	if len(stored) > 0 {
		json.Unmarshal(stored, &cur)
	}
	for k, v := range sent {
		t := strings.TrimSpace(string(v))
		switch {
		case k == "" || len(k) > 64:
			return nil, failure.Invalidf("APP_ACCOUNT.0007", "extension", "The extension keys must be 1-64 characters.")
		case t == "null":
			delete(cur, k)
			continue
		case strings.HasPrefix(t, "{") || strings.HasPrefix(t, "["):
			return nil, failure.Invalidf("APP_ACCOUNT.0007", "extension", "The extension value of %q must be a string, number or boolean.", truncate(k, 64))
		case len(t) > 1024:
			return nil, failure.Invalidf("APP_ACCOUNT.0007", "extension", "The extension value of %q is longer than 1024 bytes.", truncate(k, 64))
		}
		cur[k] = v
	}
	if len(cur) > 64 {
		return nil, failure.Invalidf("APP_ACCOUNT.0007", "extension", "The extension may hold at most 64 attributes.")
	}
	out, _ := json.Marshal(cur)
	return out, nil
}

func notFoundAccount(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrAccountNotFound
	}
	return err
}

// Update changes what w sends (3.3 modify); user_id cannot change.
func (s *Accounts) Update(ctx context.Context, tenantID string, a audit.Actor, appID, id string, w *AccountWrite) error {
	return s.Audit.Do(ctx, tenantID, a, "app_account.update", accountTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, true); err != nil {
			return err
		}
		_, err := tx.AppAccounts().Update(ctx, tenantID, appID, id, func(acc *storage.AppAccount) error {
			if err := s.apply(ctx, tx, acc, w); err != nil {
				return err
			}
			sent := []string{}
			if w.Extension.Set {
				for k := range w.Extension.V {
					sent = append(sent, k)
				}
			}
			var err error
			if acc.Extension, err = objmodel.Check(ctx, tx, tenantID, storage.EntityAppAccount, appID, acc.ID, acc.Extension, sent); err != nil {
				return err
			}
			acc.UpdatedAt = s.Now()
			return nil
		})
		return accountConflict(notFoundAccount(err))
	})
}

// SetDisabled enables or disables an account.
func (s *Accounts) SetDisabled(ctx context.Context, tenantID string, a audit.Actor, appID, id string, disabled bool) error {
	return s.Update(ctx, tenantID, a, appID, id, &AccountWrite{Disabled: opt.Bool{Set: true, V: disabled}})
}

// Delete removes an account; the user loses the application.
func (s *Accounts) Delete(ctx context.Context, tenantID string, a audit.Actor, appID, id string) error {
	return s.Audit.Do(ctx, tenantID, a, "app_account.delete", accountTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, false); err != nil {
			return err
		}
		return notFoundAccount(tx.AppAccounts().Delete(ctx, tenantID, appID, id))
	})
}

// AccountDetail is an account with its roles.
type AccountDetail struct {
	storage.AppAccount
	Roles []storage.AppRole
}

// Get returns an account with its roles (3.3 get).
func (s *Accounts) Get(ctx context.Context, tenantID, appID, id string) (*AccountDetail, error) {
	if _, err := appFor(ctx, s.Store, tenantID, appID, false); err != nil {
		return nil, err
	}
	acc, err := s.Store.AppAccounts().Get(ctx, tenantID, appID, id)
	if err != nil {
		return nil, notFoundAccount(err)
	}
	roles, err := s.Store.AppRoles().RolesOf(ctx, tenantID, []string{id})
	if err != nil {
		return nil, err
	}
	return &AccountDetail{AppAccount: *acc, Roles: roles[id]}, nil
}

var accountTypes = []string{storage.AccountBasic, storage.AccountOrphan, storage.AccountPublic}

// List pages an application's accounts, of one type when given (3.3 list).
func (s *Accounts) List(ctx context.Context, tenantID, appID, accountType string, offset, limit int) ([]AccountDetail, int, error) {
	if accountType != "" && !contains(accountTypes, accountType) {
		return nil, 0, failure.Invalidf("APP_ACCOUNT.0003", "account_type", "Unsupported application account. The account_type must be BASIC_ACCOUNT, ORPHAN_ACCOUNT or PUBLIC_ACCOUNT.")
	}
	if _, err := appFor(ctx, s.Store, tenantID, appID, false); err != nil {
		return nil, 0, err
	}
	list, total, err := s.Store.AppAccounts().List(ctx, tenantID, appID, accountType, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	return s.withRoles(ctx, tenantID, list, total)
}

func (s *Accounts) withRoles(ctx context.Context, tenantID string, list []storage.AppAccount, total int) ([]AccountDetail, int, error) {
	ids := make([]string, len(list))
	for i := range list {
		ids[i] = list[i].ID
	}
	roles, err := s.Store.AppRoles().RolesOf(ctx, tenantID, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]AccountDetail, len(list))
	for i := range list {
		out[i] = AccountDetail{AppAccount: list[i], Roles: roles[list[i].ID]}
	}
	return out, total, nil
}

// ListForUser returns every account of a user (2.12).
func (s *Accounts) ListForUser(ctx context.Context, tenantID, userID string) ([]storage.AppAccount, error) {
	if _, err := s.Store.Users().Get(ctx, tenantID, userID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, failure.New(failure.NotFound, "USER.0001", "user_id", "User does not exist.")
		}
		return nil, err
	}
	return s.Store.AppAccounts().ListForUser(ctx, tenantID, userID)
}

// Password opens an account's form-fill password ("" when none is set).
func (s *Accounts) Password(acc *storage.AppAccount) (string, error) {
	if len(acc.PasswordEnc) == 0 {
		return "", nil
	}
	p, err := s.Sealer.Open(acc.PasswordEnc, passwordContext(acc.TenantID, acc.ApplicationID))
	return string(p), err
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
