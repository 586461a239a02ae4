package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

type accountIDResponse struct {
	AccountID string `json:"account_id"`
}

// authorizeAccount is POST /api/v2/tenant/users/{user_id}/applications/
// {application_id}/accounts (2.11): 200 (not 201) {account_id}.
func (a *API) authorizeAccount(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AccountName opt.String `json:"account_name"`
	}
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	id, err := a.Accounts.Authorize(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("user_id"),
		r.PathValue("application_id"), in.AccountName.V)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountIDResponse{id})
	return nil
}

type userAccount struct {
	ID            string          `json:"id"`
	ApplicationID string          `json:"application_id"`
	AccountName   string          `json:"account_name"`
	AccountType   string          `json:"account_type"`
	Name          string          `json:"name"`
	Extension     json.RawMessage `json:"extension"`
}

type userAccountList struct {
	Total    int           `json:"total"`
	Accounts []userAccount `json:"accounts"`
}

// listUserAccounts is GET /api/v2/tenant/users/{user_id}/accounts (2.12).
func (a *API) listUserAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := a.Accounts.ListForUser(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	out := userAccountList{Total: len(list), Accounts: make([]userAccount, len(list))}
	for i, acc := range list {
		out.Accounts[i] = userAccount{ID: acc.ID, ApplicationID: acc.ApplicationID, AccountName: acc.AccountName,
			AccountType: acc.AccountType, Name: acc.Name, Extension: ext(acc.Extension)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func ext(e json.RawMessage) json.RawMessage {
	if len(e) == 0 {
		return json.RawMessage("{}")
	}
	return e
}

// accountDetail is 3.3's AccountDetail. Privileges and resource items are
// not modelled yet: every role lists none.
type accountDetail struct {
	ID          string          `json:"id"`
	AccountName string          `json:"account_name"`
	AccountType string          `json:"account_type"`
	Name        string          `json:"name"`
	Disabled    bool            `json:"disabled"`
	OrgID       *string         `json:"org_id"`
	Roles       []accountRole   `json:"roles"`
	Extension   json.RawMessage `json:"extension"`
}

type accountRole struct {
	RoleID     string            `json:"role_id"`
	RoleCode   string            `json:"role_code"`
	RoleName   string            `json:"role_name"`
	Privileges []json.RawMessage `json:"privileges"`
}

func toAccountDetail(d *apps.AccountDetail) accountDetail {
	out := accountDetail{ID: d.ID, AccountName: d.AccountName, AccountType: d.AccountType, Name: d.Name, Disabled: d.Disabled,
		OrgID: strOrNil(d.AppOrgID), Roles: make([]accountRole, len(d.Roles)), Extension: ext(d.Extension)}
	for i, r := range d.Roles {
		out.Roles[i] = accountRole{RoleID: r.ID, RoleCode: r.Code, RoleName: r.Name, Privileges: []json.RawMessage{}}
	}
	return out
}

// createAccount is POST …/{application_id}/accounts/basic-account: 201.
func (a *API) createAccount(w http.ResponseWriter, r *http.Request) error {
	var in apps.AccountWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id, err := a.Accounts.Create(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, accountIDResponse{id})
	return nil
}

// updateAccount is PUT …/accounts/{account_id}: 200 {account_id}.
func (a *API) updateAccount(w http.ResponseWriter, r *http.Request) error {
	var in apps.AccountWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	in.UserID = opt.String{} // an account's user cannot change
	id := r.PathValue("account_id")
	if err := a.Accounts.Update(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), id, &in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountIDResponse{id})
	return nil
}

// deleteAccount is DELETE …/accounts/{account_id}: 204.
func (a *API) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	if err := a.Accounts.Delete(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), r.PathValue("account_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) enableAccount(w http.ResponseWriter, r *http.Request) error {
	return a.setAccountDisabled(w, r, false)
}
func (a *API) disableAccount(w http.ResponseWriter, r *http.Request) error {
	return a.setAccountDisabled(w, r, true)
}

func (a *API) setAccountDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id := r.PathValue("account_id")
	if err := a.Accounts.SetDisabled(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), id, disabled); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountIDResponse{id})
	return nil
}

// getAccount is GET …/accounts/{account_id}: AccountDetail.
func (a *API) getAccount(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Accounts.Get(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), r.PathValue("account_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAccountDetail(d))
	return nil
}

type accountList struct {
	Total    int             `json:"total"`
	Accounts []accountDetail `json:"accounts"`
}

// listAccounts is GET …/accounts?account_type=&offset=&limit=.
func (a *API) listAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	list, total, err := a.Accounts.List(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), q.Get("account_type"), offset*limit, limit)
	if err != nil {
		return err
	}
	out := accountList{Total: total, Accounts: make([]accountDetail, len(list))}
	for i := range list {
		out.Accounts[i] = toAccountDetail(&list[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// memberRow is a role member as 3.4's member list shows it.
type memberRow struct {
	ID          string          `json:"id"`
	AccountName string          `json:"account_name"`
	Name        string          `json:"name"`
	OrgID       *string         `json:"org_id"`
	Disabled    bool            `json:"disabled"`
	AccountType string          `json:"account_type"`
	Extension   json.RawMessage `json:"extension"`
}

func toMemberRow(acc *storage.AppAccount) memberRow {
	return memberRow{ID: acc.ID, AccountName: acc.AccountName, Name: acc.Name, OrgID: strOrNil(acc.AppOrgID),
		Disabled: acc.Disabled, AccountType: acc.AccountType, Extension: ext(acc.Extension)}
}
