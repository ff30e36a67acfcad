from casegen.cli import main

raise SystemExit(main())
