"""Who uses bordermap and what each may do: roles, accounts, the signed-in user."""
