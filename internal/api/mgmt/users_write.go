package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

type userIDResponse struct {
	UserID string `json:"user_id"`
}

// createUser is POST /api/v2/tenant/users (ONEACCESS-API.md 2.1): 201 {user_id}.
func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var in directory.UserWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id, err := a.Users.Create(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userIDResponse{id})
	return nil
}

// updateUser is PUT /api/v2/tenant/users/{user_id} (2.2): fields sent are
// changed, absent ones kept; 200 {user_id}.
func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in directory.UserWrite
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id := r.PathValue("user_id")
	if err := a.Users.Update(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), id, &in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userIDResponse{id})
	return nil
}

// deleteUser is DELETE /api/v2/tenant/users/{user_id} (2.3): 204.
func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.Users.Delete(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// enableUser is PUT …/{user_id}/enable (2.4): 200 {user_id}.
func (a *API) enableUser(w http.ResponseWriter, r *http.Request) error {
	return a.setDisabled(w, r, false)
}

// disableUser is PUT …/{user_id}/disable (2.5): 200 {user_id}.
func (a *API) disableUser(w http.ResponseWriter, r *http.Request) error {
	return a.setDisabled(w, r, true)
}

func (a *API) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id := r.PathValue("user_id")
	if err := a.Users.SetDisabled(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), id, disabled); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userIDResponse{id})
	return nil
}
