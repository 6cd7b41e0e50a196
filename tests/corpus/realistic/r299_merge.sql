-- revision: r299_merge
-- parents: r297_add_members_167_note_202, r298_add_tickets_164_amount_203
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

