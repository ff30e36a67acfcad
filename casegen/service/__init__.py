"""One function per user action, for both faces (the command line and the workbench); each
returns values (results, findings, paths written) and prints nothing.

    validate        service.cases.validate           a Run of checked cases
    render, draw    service.documents.render / draw  Produced: outcomes, stopped cases
                    service.documents.render_case    one case's document (the workbench, scripts)
    check           service.evidence.check           an Audit: checklists, findings, seals
    ledger          service.tables.ledger            the 附件2 workbook written, its rows
    roster          service.tables.roster            the 附件1 workbook written, its teams
    report          service.tables.report            the report page (and workbook) written
    import          service.tables.import_table      case files from a filled 附件2
    new             service.authoring.new_case       a case file to fill in
    template check  service.documents.check_template the template's problems
    rules, calendar service.authoring.rules / calendar_year
    serve           service.workbench                what the workbench's views ask beyond these
    submit          service.submission.submit        a unit's period as one reproducible package
    receive         service.intake.receive / reindex packages verified and kept in the store
    store           service.store.store_listing      what the store holds
    bulletin        service.bulletin.bulletin        the ranked bulletin of a period
    callbacks       service.calls.callbacks_sample / callbacks_record   监督回访: a sample, the filled sheet
    booklet         service.booklet.booklet / booklet_of_store  the 典型案例汇编 (PDF and .docx)
    read            service.reader.read_documents    hand-made 附件3 documents to case files
    history         service.history.case_history     a case's review history and state
    users           service.users                    the workbench's users file

`service.summary.summarize` reads a folder once for the tables and the workbench (and hands on
`CaseSummary` and `Overview`, so that no face reaches past the service); `batch` runs
documents in worker processes. docs/ARCHITECTURE.md shows the layers and the path of a command.
"""
