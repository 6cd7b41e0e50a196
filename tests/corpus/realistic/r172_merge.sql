-- revision: r172_merge
-- parents: r170_index_ix_documents_92_115, r171_add_tickets_48_note_116
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

