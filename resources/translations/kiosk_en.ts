<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>GuardConsole</name>
    <message>
        <source>Already done by %1 (%2). Nothing was changed.</source>
        <extracomment>Dismiss and acknowledge are written this long after the click, unless the guard undoes them.</extracomment>
        <translation>Already done by %1 (%2). Nothing was changed.</translation>
    </message>
    <message>
        <source>Database problem: %1</source>
        <translation>Database problem: %1</translation>
    </message>
    <message>
        <source>Dismissed: you can undo this for %n second(s).</source>
        <translation>Dismissed: you can undo this for %n second(s).</translation>
    </message>
    <message>
        <source>Acknowledged: you can undo this for %n second(s).</source>
        <translation>Acknowledged: you can undo this for %n second(s).</translation>
    </message>
    <message>
        <source>Logged out after a quiet spell.</source>
        <extracomment>Today&apos;s denied and referred scans as last read (the alert bar&apos;s count and newest scan). Plays the alert for a new DENY or REFER (verdict value); None: silent. The new DENY and REFER scans the console was told of (verdict values), newest last.</extracomment>
        <translation>Logged out after a quiet spell.</translation>
    </message>
    <message>
        <source>No open scans</source>
        <translation>No open scans</translation>
    </message>
    <message>
        <source>No denied or referred scan today.</source>
        <translation>No denied or referred scan today.</translation>
    </message>
    <message>
        <source>(handled)</source>
        <translation>(handled)</translation>
    </message>
    <message>
        <source>Newest: %1</source>
        <translation>Newest: %1</translation>
    </message>
    <message>
        <source>Log in to see names and to act.</source>
        <translation>Log in to see names and to act.</translation>
    </message>
    <message>
        <source>The applicant screen shows OUT OF ORDER. Details: the Status tab.</source>
        <translation>The applicant screen shows OUT OF ORDER. Details: the Status tab.</translation>
    </message>
    <message>
        <source>Details: the Status tab.</source>
        <translation>Details: the Status tab.</translation>
    </message>
    <message>
        <source>Undone: nothing was recorded.</source>
        <translation>Undone: nothing was recorded.</translation>
    </message>
    <message numerus="yes">
        <source>Admitted: %n person(s). The gate opens.</source>
        <translation>
            <numerusform>Admitted: %n person. The gate opens.</numerusform>
            <numerusform>Admitted: %n people. The gate opens.</numerusform>
        </translation>
    </message>
    <message>
        <source>Dismissed.</source>
        <translation>Dismissed.</translation>
    </message>
    <message>
        <source>Acknowledged.</source>
        <translation>Acknowledged.</translation>
    </message>
    <message>
        <source>Note saved.</source>
        <translation>Note saved.</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Checking…</translation>
    </message>
    <message numerus="yes">
        <source>%n people</source>
        <translation>
            <numerusform>%n person</numerusform>
            <numerusform>%n people</numerusform>
        </translation>
    </message>
    <message>
        <source>Guard console</source>
        <translation>Guard console</translation>
    </message>
    <message>
        <source>Logged in: %1</source>
        <translation>Logged in: %1</translation>
    </message>
    <message>
        <source>Log out</source>
        <translation>Log out</translation>
    </message>
    <message>
        <source>Leave kiosk mode</source>
        <translation>Leave kiosk mode</translation>
    </message>
    <message numerus="yes">
        <source>%n open in the queue</source>
        <extracomment>A new DENY or REFER flashes the alert bar this long, switching every FLASH_STEP_MS.</extracomment>
        <translation>
            <numerusform>%n open in the queue</numerusform>
            <numerusform>%n open in the queue</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Queue (%n open)</source>
        <translation>
            <numerusform>Queue (%n open)</numerusform>
            <numerusform>Queue (%n open)</numerusform>
        </translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Queue</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>Statistics</translation>
    </message>
    <message>
        <source>Leave kiosk mode and close the kiosk?</source>
        <translation>Leave kiosk mode and close the kiosk?</translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN. %n more wrong PIN(s) lock you out.</source>
        <translation>
            <numerusform>Wrong PIN. %n more wrong PIN locks you out.</numerusform>
            <numerusform>Wrong PIN. %n more wrong PINs lock you out.</numerusform>
        </translation>
    </message>
    <message>
        <source>Too many wrong PINs: logged out.</source>
        <translation>Too many wrong PINs: logged out.</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>Admitted</source>
        <translation>Admitted</translation>
    </message>
    <message>
        <source>Not a booking QR</source>
        <translation>Not a booking QR</translation>
    </message>
    <message>
        <source>Unknown code</source>
        <translation>Unknown code</translation>
    </message>
    <message>
        <source>Forged code (bad signature)</source>
        <translation>Forged code (bad signature)</translation>
    </message>
    <message>
        <source>Booking for another office</source>
        <translation>Booking for another office</translation>
    </message>
    <message>
        <source>Booking for another day</source>
        <translation>Booking for another day</translation>
    </message>
    <message>
        <source>Too early</source>
        <translation>Too early</translation>
    </message>
    <message>
        <source>Too late</source>
        <translation>Too late</translation>
    </message>
    <message>
        <source>Booking cancelled</source>
        <translation>Booking cancelled</translation>
    </message>
    <message>
        <source>Booking rescheduled</source>
        <translation>Booking rescheduled</translation>
    </message>
    <message>
        <source>Not paid</source>
        <translation>Not paid</translation>
    </message>
    <message>
        <source>Already admitted</source>
        <translation>Already admitted</translation>
    </message>
    <message>
        <source>Kiosk out of order</source>
        <translation>Kiosk out of order</translation>
    </message>
    <message>
        <source>Booking data out of date</source>
        <translation>Booking data out of date</translation>
    </message>
    <message>
        <source>Kiosk clock not trusted</source>
        <translation>Kiosk clock not trusted</translation>
    </message>
    <message>
        <source>Several codes at once</source>
        <translation>Several codes at once</translation>
    </message>
    <message>
        <source>Priority or special service</source>
        <translation>Priority or special service</translation>
    </message>
    <message>
        <source>Broker alert: many invalid codes in a short time</source>
        <translation>Broker alert: many invalid codes in a short time</translation>
    </message>
    <message>
        <source>Broker alert: booking just used at another gate</source>
        <translation>Broker alert: booking just used at another gate</translation>
    </message>
    <message>
        <source>Broker alert: booking shown again after a refusal and another code</source>
        <translation>Broker alert: booking shown again after a refusal and another code</translation>
    </message>
    <message>
        <source>ADMIT</source>
        <translation>ADMIT</translation>
    </message>
    <message>
        <source>DENY</source>
        <translation>DENY</translation>
    </message>
    <message>
        <source>REFER</source>
        <translation>REFER</translation>
    </message>
    <message>
        <source>Priority walk-in: elderly (over 60)</source>
        <translation>Priority walk-in: elderly (over 60)</translation>
    </message>
    <message>
        <source>Priority walk-in: disability</source>
        <translation>Priority walk-in: disability</translation>
    </message>
    <message>
        <source>Priority walk-in: child under 5</source>
        <translation>Priority walk-in: child under 5</translation>
    </message>
    <message>
        <source>Lost or damaged passport walk-in</source>
        <translation>Lost or damaged passport walk-in</translation>
    </message>
    <message>
        <source>Special reschedule after an office system failure</source>
        <translation>Special reschedule after an office system failure</translation>
    </message>
    <message>
        <source>Identity checked against the ID card</source>
        <translation>Identity checked against the ID card</translation>
    </message>
    <message>
        <source>Other (describe what happened)</source>
        <translation>Other (describe what happened)</translation>
    </message>
    <message>
        <source>Admitted by guard</source>
        <translation>Admitted by guard</translation>
    </message>
    <message>
        <source>Dismissed</source>
        <translation>Dismissed</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>Acknowledged</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>Regular</source>
        <translation>Regular</translation>
    </message>
    <message>
        <source>Priority walk-in</source>
        <translation>Priority walk-in</translation>
    </message>
    <message>
        <source>Lost or damaged passport</source>
        <translation>Lost or damaged passport</translation>
    </message>
    <message>
        <source>Special reschedule</source>
        <translation>Special reschedule</translation>
    </message>
    <message>
        <source>camera</source>
        <translation>camera</translation>
    </message>
    <message>
        <source>hand scanner</source>
        <translation>hand scanner</translation>
    </message>
    <message>
        <source>typed by guard</source>
        <translation>typed by guard</translation>
    </message>
    <message>
        <source>online check off</source>
        <extracomment>Why the kiosk decided a scan itself (kiosk/door, kiosk/sync/online: the phrase before any detail).</extracomment>
        <translation>online check off</translation>
    </message>
    <message>
        <source>not a booking code</source>
        <translation>not a booking code</translation>
    </message>
    <message>
        <source>signature checked here</source>
        <translation>signature checked here</translation>
    </message>
    <message>
        <source>an entry here the server has not seen yet</source>
        <translation>an entry here the server has not seen yet</translation>
    </message>
    <message>
        <source>this kiosk&apos;s data says otherwise</source>
        <translation>this kiosk&apos;s data says otherwise</translation>
    </message>
    <message>
        <source>not enrolled with a server</source>
        <translation>not enrolled with a server</translation>
    </message>
    <message>
        <source>enrolment revoked</source>
        <translation>enrolment revoked</translation>
    </message>
    <message>
        <source>server too slow</source>
        <translation>server too slow</translation>
    </message>
    <message>
        <source>server unreachable</source>
        <translation>server unreachable</translation>
    </message>
    <message>
        <source>unusable answer from the server</source>
        <translation>unusable answer from the server</translation>
    </message>
    <message>
        <source>database</source>
        <translation>database</translation>
    </message>
    <message>
        <source>gate relay</source>
        <translation>gate relay</translation>
    </message>
    <message>
        <source>by the server (all gates)</source>
        <translation>by the server (all gates)</translation>
    </message>
    <message>
        <source>offline: decided here</source>
        <translation>offline: decided here</translation>
    </message>
    <message>
        <source>decided here</source>
        <translation>decided here</translation>
    </message>
    <message>
        <source>the database is in use by another program; try again</source>
        <extracomment>Fallbacks that mean the server could not be used: the kiosk was offline for this scan. A rule: a pattern for an English message, the source text of its translation (in CONTEXT), and the names of the pattern&apos;s groups that fill %1, %2, ... in order. kiosk/store (StoreError, kiosk/store/errors.py and opening.py, db.py, parts/): the database&apos;s problems.</extracomment>
        <translation>the database is in use by another program; try again</translation>
    </message>
    <message>
        <source>the database cannot be written (read-only disk or file permissions)</source>
        <translation>the database cannot be written (read-only disk or file permissions)</translation>
    </message>
    <message>
        <source>the kiosk&apos;s disk is full; free some space</source>
        <translation>the kiosk&apos;s disk is full; free some space</translation>
    </message>
    <message>
        <source>the kiosk&apos;s disk failed to read or write; check the disk</source>
        <translation>the kiosk&apos;s disk failed to read or write; check the disk</translation>
    </message>
    <message>
        <source>the booking file is damaged; call the office&apos;s IT staff</source>
        <translation>the booking file is damaged; call the office&apos;s IT staff</translation>
    </message>
    <message>
        <source>the database is damaged; restore it from backup (call the office&apos;s IT staff)</source>
        <translation>the database is damaged; restore it from backup (call the office&apos;s IT staff)</translation>
    </message>
    <message>
        <source>the database is missing; restore it from backup (call the office&apos;s IT staff)</source>
        <translation>the database is missing; restore it from backup (call the office&apos;s IT staff)</translation>
    </message>
    <message>
        <source>there is no kiosk database; set the kiosk up</source>
        <translation>there is no kiosk database; set the kiosk up</translation>
    </message>
    <message>
        <source>the database cannot be opened; call the office&apos;s IT staff</source>
        <translation>the database cannot be opened; call the office&apos;s IT staff</translation>
    </message>
    <message>
        <source>the database needs an upgrade: kiosk db upgrade</source>
        <translation>the database needs an upgrade: kiosk db upgrade</translation>
    </message>
    <message>
        <source>the database check failed; nobody is admitted until it is restored</source>
        <translation>the database check failed; nobody is admitted until it is restored</translation>
    </message>
    <message>
        <source>a booking in the database was changed by hand; call the office&apos;s IT staff</source>
        <translation>a booking in the database was changed by hand; call the office&apos;s IT staff</translation>
    </message>
    <message>
        <source>the guard&apos;s action was not recorded</source>
        <translation>the guard&apos;s action was not recorded</translation>
    </message>
    <message>
        <source>the office settings are invalid; set the kiosk up again</source>
        <translation>the office settings are invalid; set the kiosk up again</translation>
    </message>
    <message>
        <source>database error (details in the kiosk&apos;s log)</source>
        <translation>database error (details in the kiosk&apos;s log)</translation>
    </message>
    <message>
        <source>Choose a reason.</source>
        <extracomment>kiosk/store/guard_actions.py (ActionError): why a guard&apos;s action was refused.</extracomment>
        <translation>Choose a reason.</translation>
    </message>
    <message>
        <source>Describe what happened.</source>
        <translation>Describe what happened.</translation>
    </message>
    <message>
        <source>An override lets in 1 to %1 people.</source>
        <translation>An override lets in 1 to %1 people.</translation>
    </message>
    <message>
        <source>Write the note.</source>
        <translation>Write the note.</translation>
    </message>
    <message>
        <source>Unknown guard.</source>
        <translation>Unknown guard.</translation>
    </message>
    <message>
        <source>This guard is disabled.</source>
        <translation>This guard is disabled.</translation>
    </message>
    <message>
        <source>This scan is not in the database.</source>
        <translation>This scan is not in the database.</translation>
    </message>
    <message>
        <source>Choose a scan, not a guard&apos;s action.</source>
        <translation>Choose a scan, not a guard&apos;s action.</translation>
    </message>
    <message>
        <source>This scan was admitted: there is nothing to do.</source>
        <translation>This scan was admitted: there is nothing to do.</translation>
    </message>
    <message>
        <source>The booking in the database was changed by hand; call the office&apos;s IT staff.</source>
        <translation>The booking in the database was changed by hand; call the office&apos;s IT staff.</translation>
    </message>
    <message>
        <source>The action was refused (details in the kiosk&apos;s log).</source>
        <translation>The action was refused (details in the kiosk&apos;s log).</translation>
    </message>
    <message>
        <source>camera %1 (closed)</source>
        <extracomment>kiosk/vision (FrameSource.description): which camera is reading.</extracomment>
        <translation>camera %1 (closed)</translation>
    </message>
    <message>
        <source>camera %1 %2, instead of camera %3</source>
        <translation>camera %1 %2, instead of camera %3</translation>
    </message>
    <message>
        <source>camera %1 %2</source>
        <translation>camera %1 %2</translation>
    </message>
    <message>
        <source>simulated camera %1 (closed)</source>
        <translation>simulated camera %1 (closed)</translation>
    </message>
    <message>
        <source>simulated camera %1 %2</source>
        <translation>simulated camera %1 %2</translation>
    </message>
    <message>
        <source>camera %1</source>
        <translation>camera %1</translation>
    </message>
    <message>
        <source>video file %1</source>
        <translation>video file %1</translation>
    </message>
    <message>
        <source>image folder %1 (%2 images)</source>
        <translation>image folder %1 (%2 images)</translation>
    </message>
    <message>
        <source>no camera at %1, nor at any other index</source>
        <extracomment>kiosk/vision (CameraGone, CameraFault): why the camera is not reading.</extracomment>
        <translation>no camera at %1, nor at any other index</translation>
    </message>
    <message>
        <source>no camera at %1</source>
        <translation>no camera at %1</translation>
    </message>
    <message>
        <source>camera %1 disconnected: plug it back in</source>
        <translation>camera %1 disconnected: plug it back in</translation>
    </message>
    <message>
        <source>no video file at %1</source>
        <translation>no video file at %1</translation>
    </message>
    <message>
        <source>no image folder at %1</source>
        <translation>no image folder at %1</translation>
    </message>
    <message>
        <source>the camera is not working (details in the kiosk&apos;s log)</source>
        <translation>the camera is not working (details in the kiosk&apos;s log)</translation>
    </message>
    <message>
        <source>simulated relay (no door is opened)</source>
        <extracomment>kiosk/workers/gate.py, relay_board.py and kiosk/relay (description): what opens the door.</extracomment>
        <translation>simulated relay (no door is opened)</translation>
    </message>
    <message>
        <source>no door relay: the guard lets people through</source>
        <translation>no door relay: the guard lets people through</translation>
    </message>
    <message>
        <source>relay board (driver not loaded)</source>
        <translation>relay board (driver not loaded)</translation>
    </message>
    <message>
        <source>GPIO relay on %1, line %2</source>
        <translation>GPIO relay on %1, line %2</translation>
    </message>
    <message>
        <source>simulated LCUS relay board at %1</source>
        <translation>simulated LCUS relay board at %1</translation>
    </message>
    <message>
        <source>LCUS USB relay board at %1</source>
        <translation>LCUS USB relay board at %1</translation>
    </message>
    <message>
        <source>serial relay board at %1</source>
        <translation>serial relay board at %1</translation>
    </message>
    <message>
        <source>the relay board is not connected (no port %1)</source>
        <extracomment>kiosk/relay (RelayFault): why the door relay did not switch.</extracomment>
        <translation>the relay board is not connected (no port %1)</translation>
    </message>
    <message>
        <source>the relay board was disconnected; plug it back in</source>
        <translation>the relay board was disconnected; plug it back in</translation>
    </message>
    <message>
        <source>the kiosk may not use the relay board&apos;s port; call the office&apos;s IT staff</source>
        <translation>the kiosk may not use the relay board&apos;s port; call the office&apos;s IT staff</translation>
    </message>
    <message>
        <source>another program is using the relay board</source>
        <translation>another program is using the relay board</translation>
    </message>
    <message>
        <source>the relay board does not answer</source>
        <translation>the relay board does not answer</translation>
    </message>
    <message>
        <source>the relay&apos;s contact %1 is stuck; call the office&apos;s IT staff</source>
        <translation>the relay&apos;s contact %1 is stuck; call the office&apos;s IT staff</translation>
    </message>
    <message>
        <source>the GPIO relay&apos;s software is not installed; call the office&apos;s IT staff</source>
        <translation>the GPIO relay&apos;s software is not installed; call the office&apos;s IT staff</translation>
    </message>
    <message>
        <source>the door relay is not working (details in the kiosk&apos;s log)</source>
        <translation>the door relay is not working (details in the kiosk&apos;s log)</translation>
    </message>
    <message>
        <source>Code typed in by guard %1</source>
        <extracomment>The note the door adds to a code a guard typed in (kiosk/door/door.py, manual_note): stored in both languages, shown in the guard&apos;s.</extracomment>
        <translation>Code typed in by guard %1</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <source>No guard is registered. Add one with `kiosk guard add`.</source>
        <extracomment>Set by the console: why its alert bar shows no names until a guard logs in.</extracomment>
        <translation>No guard is registered. Add one with `kiosk guard add`.</translation>
    </message>
    <message>
        <source>Checking the PIN…</source>
        <translation>Checking the PIN…</translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN. %n more wrong PIN(s) lock this guard out for 5 minutes.</source>
        <translation>
            <numerusform>Wrong PIN. %n more wrong PIN locks this guard out for 5 minutes.</numerusform>
            <numerusform>Wrong PIN. %n more wrong PINs lock this guard out for 5 minutes.</numerusform>
        </translation>
    </message>
    <message>
        <source>Too many wrong PINs: this guard is locked out until %1.</source>
        <translation>Too many wrong PINs: this guard is locked out until %1.</translation>
    </message>
    <message>
        <source>This guard is disabled.</source>
        <translation>This guard is disabled.</translation>
    </message>
    <message>
        <source>Unknown guard.</source>
        <translation>Unknown guard.</translation>
    </message>
    <message>
        <source>Guard login</source>
        <translation>Guard login</translation>
    </message>
    <message>
        <source>Choose your name and enter your personal PIN.
Never share your PIN.</source>
        <translation>Choose your name and enter your personal PIN.
Never share your PIN.</translation>
    </message>
    <message>
        <source>Guard</source>
        <translation>Guard</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Log in</translation>
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <source>Add a note</source>
        <translation>Add a note</translation>
    </message>
    <message>
        <source>Write the note</source>
        <translation>Write the note</translation>
    </message>
    <message>
        <source>Save note</source>
        <translation>Save note</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <source>Admit with a reason</source>
        <translation>Admit with a reason</translation>
    </message>
    <message>
        <source>What happened? Required for “Other”.</source>
        <translation>What happened? Required for “Other”.</translation>
    </message>
    <message>
        <source>Admit</source>
        <translation>Admit</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Compare the name and the last 4 digits of the NIK with the ID card.</source>
        <translation>Compare the name and the last 4 digits of the NIK with the ID card.</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>People let in:</source>
        <translation>People let in:</translation>
    </message>
    <message>
        <source>Choose a reason.</source>
        <translation>Choose a reason.</translation>
    </message>
    <message>
        <source>The note is too long.</source>
        <translation>The note is too long.</translation>
    </message>
    <message numerus="yes">
        <source>Describe what happened (at least %n characters).</source>
        <translation>
            <numerusform>Describe what happened (at least %n character).</numerusform>
            <numerusform>Describe what happened (at least %n characters).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>Confirm with your PIN</source>
        <translation>Confirm with your PIN</translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Guard: %1</source>
        <translation>Guard: %1</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Time</source>
        <extracomment>Widths in pixels for a wide table (the name column takes what is left beyond them), and the least each column gets in a narrow one (a 1366x768 console): the name stays readable (&quot;Budi Santoso&quot;).</extracomment>
        <translation>Time</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Code</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>NIK
(last 4)</source>
        <translation>NIK
(last 4)</translation>
    </message>
    <message>
        <source>Party
size</source>
        <translation>Party
size</translation>
    </message>
    <message>
        <source>First
entry</source>
        <translation>First
entry</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Open</translation>
    </message>
    <message>
        <source>%1 (%2, %3)</source>
        <translation>%1 (%2, %3)</translation>
    </message>
</context>
<context>
    <name>QueuePage</name>
    <message numerus="yes">
        <source>%n open</source>
        <extracomment>The scan whose dismiss or acknowledge waits for its undo window (its buttons are off). The pointer is over the list: rows are updated in place only, new ones wait (`held`).</extracomment>
        <translation>
            <numerusform>%n open</numerusform>
            <numerusform>%n open</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n today</source>
        <translation>
            <numerusform>%n today</numerusform>
            <numerusform>%n today</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n new: move the pointer off the list to see it</source>
        <translation>
            <numerusform>%n new: move the pointer off the list to see it</numerusform>
            <numerusform>%n new: move the pointer off the list to see it</numerusform>
        </translation>
    </message>
    <message>
        <source>Type a code:</source>
        <translation>Type a code:</translation>
    </message>
    <message>
        <source>a code the camera cannot read, e.g. MP7K-Q2XA-T3M9</source>
        <translation>a code the camera cannot read, e.g. MP7K-Q2XA-T3M9</translation>
    </message>
    <message>
        <source>Check code</source>
        <translation>Check code</translation>
    </message>
    <message>
        <source>Show resolved scans</source>
        <translation>Show resolved scans</translation>
    </message>
    <message>
        <source>Admit…</source>
        <translation>Admit…</translation>
    </message>
    <message>
        <source>Let the applicant in, with a reason from the list.</source>
        <translation>Let the applicant in, with a reason from the list.</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>Acknowledge</translation>
    </message>
    <message>
        <source>Seen and dealt with: the refusal stands.</source>
        <translation>Seen and dealt with: the refusal stands.</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Dismiss</translation>
    </message>
    <message>
        <source>Close without action (a misread, the applicant left).</source>
        <translation>Close without action (a misread, the applicant left).</translation>
    </message>
    <message>
        <source>Add note…</source>
        <translation>Add note…</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Undo</translation>
    </message>
    <message>
        <source>Select a scan in the list.</source>
        <translation>Select a scan in the list.</translation>
    </message>
    <message>
        <source>Status: %1</source>
        <translation>Status: %1</translation>
    </message>
</context>
<context>
    <name>ScanSummary</name>
    <message>
        <source>Scan</source>
        <translation>Scan</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Code</translation>
    </message>
    <message>
        <source>⚠ changed by hand in the database: do not trust it</source>
        <translation>⚠ changed by hand in the database: do not trust it</translation>
    </message>
    <message>
        <source>Booking</source>
        <translation>Booking</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>NIK (last 4)</source>
        <translation>NIK (last 4)</translation>
    </message>
    <message>
        <source>Party</source>
        <translation>Party</translation>
    </message>
    <message>
        <source>Slot</source>
        <translation>Slot</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>not known to this kiosk</source>
        <translation>not known to this kiosk</translation>
    </message>
    <message>
        <source>First entry</source>
        <translation>First entry</translation>
    </message>
    <message>
        <source>Decided</source>
        <translation>Decided</translation>
    </message>
</context>
<context>
    <name>StatsPage</name>
    <message>
        <source>Daily report saved:</source>
        <translation>Daily report saved:</translation>
    </message>
    <message>
        <source>the disk is full</source>
        <translation>the disk is full</translation>
    </message>
    <message>
        <source>the file %1 cannot be written</source>
        <translation>the file %1 cannot be written</translation>
    </message>
    <message>
        <source>an unexpected error (details in the kiosk&apos;s log)</source>
        <translation>an unexpected error (details in the kiosk&apos;s log)</translation>
    </message>
    <message>
        <source>The daily report was not made: %1</source>
        <translation>The daily report was not made: %1</translation>
    </message>
    <message>
        <source>Today&apos;s statistics</source>
        <translation>Today&apos;s statistics</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>Export daily report (CSV + PDF)</source>
        <translation>Export daily report (CSV + PDF)</translation>
    </message>
    <message>
        <source>Overrides per guard</source>
        <translation>Overrides per guard</translation>
    </message>
    <message>
        <source>Overrides per reason</source>
        <translation>Overrides per reason</translation>
    </message>
    <message>
        <source>Guard</source>
        <translation>Guard</translation>
    </message>
    <message>
        <source>Overrides</source>
        <translation>Overrides</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <source>%1 (%2) — admitted %3 · denied %4 · referred %5 · people let in %6 · guard overrides %7 · broker alerts %8</source>
        <translation>%1 (%2) — admitted %3 · denied %4 · referred %5 · people let in %6 · guard overrides %7 · broker alerts %8</translation>
    </message>
    <message>
        <source>Admitted</source>
        <translation>Admitted</translation>
    </message>
    <message>
        <source>Denied</source>
        <translation>Denied</translation>
    </message>
    <message>
        <source>Referred</source>
        <translation>Referred</translation>
    </message>
    <message>
        <source>Scans per hour (office time)</source>
        <translation>Scans per hour (office time)</translation>
    </message>
    <message numerus="yes">
        <source>Others (%n reasons)</source>
        <translation>
            <numerusform>Others (%n reason)</numerusform>
            <numerusform>Others (%n reasons)</numerusform>
        </translation>
    </message>
    <message>
        <source>Denied and referred, by reason</source>
        <translation>Denied and referred, by reason</translation>
    </message>
</context>
<context>
    <name>StatusPage</name>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Frame rate</source>
        <translation>Frame rate</translation>
    </message>
    <message>
        <source>Decoder</source>
        <translation>Decoder</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>Relay</source>
        <translation>Relay</translation>
    </message>
    <message>
        <source>Applicant screen</source>
        <translation>Applicant screen</translation>
    </message>
    <message>
        <source>Data age</source>
        <translation>Data age</translation>
    </message>
    <message>
        <source>Last sync</source>
        <translation>Last sync</translation>
    </message>
    <message>
        <source>Sync problem</source>
        <translation>Sync problem</translation>
    </message>
    <message>
        <source>Bookings held</source>
        <translation>Bookings held</translation>
    </message>
    <message>
        <source>Pending uploads</source>
        <translation>Pending uploads</translation>
    </message>
    <message>
        <source>Refused uploads</source>
        <translation>Refused uploads</translation>
    </message>
    <message>
        <source>Online check</source>
        <translation>Online check</translation>
    </message>
    <message>
        <source>Audit chain</source>
        <translation>Audit chain</translation>
    </message>
    <message>
        <source>Entries</source>
        <translation>Entries</translation>
    </message>
    <message>
        <source>Last checked</source>
        <translation>Last checked</translation>
    </message>
    <message>
        <source>Anchored at server</source>
        <translation>Anchored at server</translation>
    </message>
    <message>
        <source>Server&apos;s finding</source>
        <translation>Server&apos;s finding</translation>
    </message>
    <message>
        <source>Free disk</source>
        <translation>Free disk</translation>
    </message>
    <message>
        <source>Office</source>
        <translation>Office</translation>
    </message>
    <message>
        <source>Kiosk</source>
        <translation>Kiosk</translation>
    </message>
    <message>
        <source>Gate</source>
        <translation>Gate</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>an older copy was put back</source>
        <extracomment>The kinds of incident the server names (kiosk/server/anchor.py), in the guard&apos;s words.</extracomment>
        <translation>an older copy was put back</translation>
    </message>
    <message>
        <source>entries were rewritten</source>
        <translation>entries were rewritten</translation>
    </message>
    <message>
        <source>entries were deleted or inserted</source>
        <translation>entries were deleted or inserted</translation>
    </message>
    <message>
        <source>entries were edited</source>
        <translation>entries were edited</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <source>Gate and screen</source>
        <translation>Gate and screen</translation>
    </message>
    <message>
        <source>Booking data and sync</source>
        <translation>Booking data and sync</translation>
    </message>
    <message>
        <source>Audit chain and disk</source>
        <translation>Audit chain and disk</translation>
    </message>
    <message>
        <source>This kiosk</source>
        <translation>This kiosk</translation>
    </message>
    <message>
        <source>Camera not connected</source>
        <extracomment>The camera&apos;s faults (kiosk.vision.watchdog.FaultKind values) as the guard reads them on the banner; the technical detail (the camera&apos;s own message) stays on the Status tab.</extracomment>
        <translation>Camera not connected</translation>
    </message>
    <message>
        <source>Camera cannot be opened (in use or not allowed)</source>
        <translation>Camera cannot be opened (in use or not allowed)</translation>
    </message>
    <message>
        <source>Camera cannot be read</source>
        <translation>Camera cannot be read</translation>
    </message>
    <message>
        <source>Camera sends no picture</source>
        <translation>Camera sends no picture</translation>
    </message>
    <message>
        <source>Camera picture is black (lens covered or too dark)</source>
        <translation>Camera picture is black (lens covered or too dark)</translation>
    </message>
    <message>
        <source>Camera picture is too bright (facing a light)</source>
        <translation>Camera picture is too bright (facing a light)</translation>
    </message>
    <message>
        <source>Camera picture is frozen</source>
        <translation>Camera picture is frozen</translation>
    </message>
    <message>
        <source>The code reader is not working</source>
        <translation>The code reader is not working</translation>
    </message>
    <message>
        <source>Camera not working</source>
        <translation>Camera not working</translation>
    </message>
    <message>
        <source>codes are read only by the hand scanner or typed in</source>
        <translation>codes are read only by the hand scanner or typed in</translation>
    </message>
    <message>
        <source>Gate relay fault: the gate cannot open</source>
        <translation>Gate relay fault: the gate cannot open</translation>
    </message>
    <message>
        <source>Database problem: scans cannot be recorded</source>
        <translation>Database problem: scans cannot be recorded</translation>
    </message>
    <message>
        <source>Booking data not updated for %n minute(s): unknown codes go to the officer</source>
        <translation>Booking data not updated for %n minute(s): unknown codes go to the officer</translation>
    </message>
    <message>
        <source>Booking data never synced: unknown codes go to the officer</source>
        <translation>Booking data never synced: unknown codes go to the officer</translation>
    </message>
    <message>
        <source>Booking file older than this kiosk last saw: every code goes to the officer</source>
        <translation>Booking file older than this kiosk last saw: every code goes to the officer</translation>
    </message>
    <message>
        <source>Status</source>
        <extracomment>What the last check of the database files found wrong (KioskStore.check_files()); &quot;&quot; when sound.</extracomment>
        <translation>Status</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Sync now</translation>
    </message>
    <message>
        <source>Verify now</source>
        <translation>Verify now</translation>
    </message>
    <message>
        <source>working</source>
        <translation>working</translation>
    </message>
    <message>
        <source>%1, in its own process</source>
        <translation>%1, in its own process</translation>
    </message>
    <message>
        <source>open</source>
        <translation>open</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>closed</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>fault</translation>
    </message>
    <message>
        <source>OUT OF ORDER (%1)</source>
        <translation>OUT OF ORDER (%1)</translation>
    </message>
    <message>
        <source>in service</source>
        <translation>in service</translation>
    </message>
    <message>
        <source>No sync server is configured.</source>
        <translation>No sync server is configured.</translation>
    </message>
    <message>
        <source>never</source>
        <translation>never</translation>
    </message>
    <message>
        <source>booking file lost: import the bookings again</source>
        <translation>booking file lost: import the bookings again</translation>
    </message>
    <message>
        <source>booking file OLDER than this database last saw (%1): rolled back or replaced; every code goes to the officer until the next sync or import</source>
        <translation>booking file OLDER than this database last saw (%1): rolled back or replaced; every code goes to the officer until the next sync or import</translation>
    </message>
    <message numerus="yes">
        <source>%n kept for IT: kiosk sync status</source>
        <translation>
            <numerusform>%n kept for IT: kiosk sync status</numerusform>
            <numerusform>%n kept for IT: kiosk sync status</numerusform>
        </translation>
    </message>
    <message>
        <source>not checked yet</source>
        <translation>not checked yet</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>BROKEN: %1</source>
        <translation>BROKEN: %1</translation>
    </message>
    <message>
        <source>off: every scan is decided here</source>
        <translation>off: every scan is decided here</translation>
    </message>
    <message>
        <source>on: %1</source>
        <translation>on: %1</translation>
    </message>
    <message>
        <source>on: no scan yet</source>
        <translation>on: no scan yet</translation>
    </message>
    <message>
        <source>on: %1 of %2 answered, median %3 ms</source>
        <translation>on: %1 of %2 answered, median %3 ms</translation>
    </message>
    <message>
        <source>last fallback: %1</source>
        <translation>last fallback: %1</translation>
    </message>
    <message>
        <source>imported locally (no sync)</source>
        <translation>imported locally (no sync)</translation>
    </message>
    <message>
        <source>never synced</source>
        <translation>never synced</translation>
    </message>
    <message numerus="yes">
        <source>%n min</source>
        <translation>
            <numerusform>%n min</numerusform>
            <numerusform>%n min</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h</source>
        <translation>
            <numerusform>%n h</numerusform>
            <numerusform>%n h</numerusform>
        </translation>
    </message>
    <message>
        <source>not yet: no receipt from the server</source>
        <translation>not yet: no receipt from the server</translation>
    </message>
    <message>
        <source>no server: sign the head in the daily report</source>
        <translation>no server: sign the head in the daily report</translation>
    </message>
    <message>
        <source>up to entry %1 (%2); %3 not yet</source>
        <translation>up to entry %1 (%2); %3 not yet</translation>
    </message>
    <message>
        <source>%1: the server found this kiosk&apos;s audit chain altered (%2); tell the head of office</source>
        <translation>%1: the server found this kiosk&apos;s audit chain altered (%2); tell the head of office</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unknown</translation>
    </message>
</context>
</TS>
