-- revision: r086_merge
-- parents: r084_index_ix_members_54_56, r085_add_documents_2_note_57
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

