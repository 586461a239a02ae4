package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// setPassword is PUT …/{user_id}/change-password (2.6): the administrator
// sets a new password; pwd_must_modify defaults to true.
func (a *API) setPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password      opt.String `json:"password"`
		PwdMustModify opt.Bool   `json:"pwd_must_modify"`
	}
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	var force *bool
	if in.PwdMustModify.Set {
		force = &in.PwdMustModify.V
	}
	id := r.PathValue("user_id")
	if err := a.Users.SetPassword(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), id, in.Password.V, force); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userIDResponse{id})
	return nil
}

// changePassword is PUT …/{user_id}/change-password-verify (2.7): the
// user's own change, proven by the original password.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password    opt.String `json:"password"`
		OldPassword opt.String `json:"old_password"`
	}
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id := r.PathValue("user_id")
	if err := a.Users.ChangePassword(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), id, in.OldPassword.V, in.Password.V); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userIDResponse{id})
	return nil
}
