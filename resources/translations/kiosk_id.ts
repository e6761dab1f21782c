<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="id" sourcelanguage="en">
<context>
    <name>GuardConsole</name>
    <message>
        <source>Already done by %1 (%2). Nothing was changed.</source>
        <extracomment>Dismiss and acknowledge are written this long after the click, unless the guard undoes them.</extracomment>
        <translation>Sudah ditangani oleh %1 (%2). Tidak ada yang diubah.</translation>
    </message>
    <message>
        <source>Database problem: %1</source>
        <translation>Masalah basis data: %1</translation>
    </message>
    <message>
        <source>Dismissed: you can undo this for %n second(s).</source>
        <translation>Diabaikan: masih dapat diurungkan selama %n detik.</translation>
    </message>
    <message>
        <source>Acknowledged: you can undo this for %n second(s).</source>
        <translation>Ditandai selesai: masih dapat diurungkan selama %n detik.</translation>
    </message>
    <message>
        <source>Logged out after a quiet spell.</source>
        <extracomment>Today&apos;s denied and referred scans as last read (the alert bar&apos;s count and newest scan). Plays the alert for a new DENY or REFER (verdict value); None: silent. The new DENY and REFER scans the console was told of (verdict values), newest last.</extracomment>
        <translation>Keluar otomatis karena tidak ada aktivitas.</translation>
    </message>
    <message>
        <source>No open scans</source>
        <translation>Tidak ada pemindaian yang belum ditangani</translation>
    </message>
    <message>
        <source>No denied or referred scan today.</source>
        <translation>Belum ada pemindaian yang ditolak atau perlu petugas hari ini.</translation>
    </message>
    <message>
        <source>(handled)</source>
        <translation>(sudah ditangani)</translation>
    </message>
    <message>
        <source>Newest: %1</source>
        <translation>Terbaru: %1</translation>
    </message>
    <message>
        <source>Log in to see names and to act.</source>
        <translation>Masuk untuk melihat nama dan mengambil tindakan.</translation>
    </message>
    <message>
        <source>The applicant screen shows OUT OF ORDER. Details: the Status tab.</source>
        <translation>Layar pemohon menampilkan TIDAK BERFUNGSI. Rincian: tab Status.</translation>
    </message>
    <message>
        <source>Details: the Status tab.</source>
        <translation>Rincian: tab Status.</translation>
    </message>
    <message>
        <source>Undone: nothing was recorded.</source>
        <translation>Diurungkan: tidak ada yang dicatat.</translation>
    </message>
    <message numerus="yes">
        <source>Admitted: %n person(s). The gate opens.</source>
        <translation>
            <numerusform>Diizinkan masuk: %n orang. Pintu terbuka.</numerusform>
        </translation>
    </message>
    <message>
        <source>Dismissed.</source>
        <translation>Diabaikan.</translation>
    </message>
    <message>
        <source>Acknowledged.</source>
        <translation>Ditandai selesai.</translation>
    </message>
    <message>
        <source>Note saved.</source>
        <translation>Catatan disimpan.</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Memeriksa…</translation>
    </message>
    <message numerus="yes">
        <source>%n people</source>
        <translation>
            <numerusform>%n orang</numerusform>
        </translation>
    </message>
    <message>
        <source>Guard console</source>
        <translation>Konsol petugas</translation>
    </message>
    <message>
        <source>Logged in: %1</source>
        <translation>Masuk sebagai: %1</translation>
    </message>
    <message>
        <source>Log out</source>
        <translation>Keluar</translation>
    </message>
    <message>
        <source>Leave kiosk mode</source>
        <translation>Keluar dari mode kios</translation>
    </message>
    <message numerus="yes">
        <source>%n open in the queue</source>
        <extracomment>A new DENY or REFER flashes the alert bar this long, switching every FLASH_STEP_MS.</extracomment>
        <translation>
            <numerusform>%n belum ditangani di antrean</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Queue (%n open)</source>
        <translation>
            <numerusform>Antrean (%n belum ditangani)</numerusform>
        </translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Antrean</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>Statistik</translation>
    </message>
    <message>
        <source>Leave kiosk mode and close the kiosk?</source>
        <translation>Keluar dari mode kios dan menutup kios?</translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN. %n more wrong PIN(s) lock you out.</source>
        <translation>
            <numerusform>PIN salah. %n kali lagi salah, Anda terkunci.</numerusform>
        </translation>
    </message>
    <message>
        <source>Too many wrong PINs: logged out.</source>
        <translation>Terlalu banyak PIN salah: Anda dikeluarkan.</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>Admitted</source>
        <translation>Diizinkan masuk</translation>
    </message>
    <message>
        <source>Not a booking QR</source>
        <translation>Bukan QR jadwal</translation>
    </message>
    <message>
        <source>Unknown code</source>
        <translation>Kode tidak dikenal</translation>
    </message>
    <message>
        <source>Forged code (bad signature)</source>
        <translation>Kode palsu (tanda tangan tidak sah)</translation>
    </message>
    <message>
        <source>Booking for another office</source>
        <translation>Jadwal untuk kantor lain</translation>
    </message>
    <message>
        <source>Booking for another day</source>
        <translation>Jadwal untuk hari lain</translation>
    </message>
    <message>
        <source>Too early</source>
        <translation>Terlalu awal</translation>
    </message>
    <message>
        <source>Too late</source>
        <translation>Terlambat</translation>
    </message>
    <message>
        <source>Booking cancelled</source>
        <translation>Jadwal dibatalkan</translation>
    </message>
    <message>
        <source>Booking rescheduled</source>
        <translation>Jadwal sudah diganti</translation>
    </message>
    <message>
        <source>Not paid</source>
        <translation>Belum dibayar</translation>
    </message>
    <message>
        <source>Already admitted</source>
        <translation>Sudah pernah masuk</translation>
    </message>
    <message>
        <source>Kiosk out of order</source>
        <translation>Kios tidak berfungsi</translation>
    </message>
    <message>
        <source>Booking data out of date</source>
        <translation>Data jadwal kedaluwarsa</translation>
    </message>
    <message>
        <source>Kiosk clock not trusted</source>
        <translation>Jam kios tidak dapat dipercaya</translation>
    </message>
    <message>
        <source>Several codes at once</source>
        <translation>Beberapa kode sekaligus</translation>
    </message>
    <message>
        <source>Priority or special service</source>
        <translation>Layanan prioritas atau khusus</translation>
    </message>
    <message>
        <source>Broker alert: many invalid codes in a short time</source>
        <translation>Peringatan calo: banyak kode tidak sah dalam waktu singkat</translation>
    </message>
    <message>
        <source>Broker alert: booking just used at another gate</source>
        <translation>Peringatan calo: jadwal baru saja digunakan di gerbang lain</translation>
    </message>
    <message>
        <source>Broker alert: booking shown again after a refusal and another code</source>
        <translation>Peringatan calo: jadwal ditunjukkan lagi setelah ditolak dan kode lain</translation>
    </message>
    <message>
        <source>ADMIT</source>
        <translation>MASUK</translation>
    </message>
    <message>
        <source>DENY</source>
        <translation>TOLAK</translation>
    </message>
    <message>
        <source>REFER</source>
        <translation>PERLU PETUGAS</translation>
    </message>
    <message>
        <source>Priority walk-in: elderly (over 60)</source>
        <translation>Prioritas tanpa jadwal: lansia (di atas 60 tahun)</translation>
    </message>
    <message>
        <source>Priority walk-in: disability</source>
        <translation>Prioritas tanpa jadwal: penyandang disabilitas</translation>
    </message>
    <message>
        <source>Priority walk-in: child under 5</source>
        <translation>Prioritas tanpa jadwal: anak di bawah 5 tahun</translation>
    </message>
    <message>
        <source>Lost or damaged passport walk-in</source>
        <translation>Tanpa jadwal: paspor hilang atau rusak</translation>
    </message>
    <message>
        <source>Special reschedule after an office system failure</source>
        <translation>Jadwal ulang khusus setelah gangguan sistem kantor</translation>
    </message>
    <message>
        <source>Identity checked against the ID card</source>
        <translation>Identitas sudah dicocokkan dengan KTP</translation>
    </message>
    <message>
        <source>Other (describe what happened)</source>
        <translation>Lainnya (jelaskan apa yang terjadi)</translation>
    </message>
    <message>
        <source>Admitted by guard</source>
        <translation>Diizinkan petugas</translation>
    </message>
    <message>
        <source>Dismissed</source>
        <translation>Diabaikan</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>Ditandai selesai</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Catatan</translation>
    </message>
    <message>
        <source>Regular</source>
        <translation>Reguler</translation>
    </message>
    <message>
        <source>Priority walk-in</source>
        <translation>Prioritas tanpa jadwal</translation>
    </message>
    <message>
        <source>Lost or damaged passport</source>
        <translation>Paspor hilang atau rusak</translation>
    </message>
    <message>
        <source>Special reschedule</source>
        <translation>Jadwal ulang khusus</translation>
    </message>
    <message>
        <source>camera</source>
        <translation>kamera</translation>
    </message>
    <message>
        <source>hand scanner</source>
        <translation>pemindai genggam</translation>
    </message>
    <message>
        <source>typed by guard</source>
        <translation>diketik petugas</translation>
    </message>
    <message>
        <source>online check off</source>
        <extracomment>Why the kiosk decided a scan itself (kiosk/door, kiosk/sync/online: the phrase before any detail).</extracomment>
        <translation>pemeriksaan daring nonaktif</translation>
    </message>
    <message>
        <source>not a booking code</source>
        <translation>bukan kode jadwal</translation>
    </message>
    <message>
        <source>signature checked here</source>
        <translation>tanda tangan diperiksa di sini</translation>
    </message>
    <message>
        <source>an entry here the server has not seen yet</source>
        <translation>ada catatan masuk di sini yang belum diterima server</translation>
    </message>
    <message>
        <source>this kiosk&apos;s data says otherwise</source>
        <translation>data di kios ini berbeda</translation>
    </message>
    <message>
        <source>not enrolled with a server</source>
        <translation>belum terdaftar di server</translation>
    </message>
    <message>
        <source>enrolment revoked</source>
        <translation>pendaftaran dicabut</translation>
    </message>
    <message>
        <source>server too slow</source>
        <translation>server terlalu lambat</translation>
    </message>
    <message>
        <source>server unreachable</source>
        <translation>server tidak terjangkau</translation>
    </message>
    <message>
        <source>unusable answer from the server</source>
        <translation>jawaban server tidak dapat dipakai</translation>
    </message>
    <message>
        <source>database</source>
        <translation>basis data</translation>
    </message>
    <message>
        <source>gate relay</source>
        <translation>relai pintu</translation>
    </message>
    <message>
        <source>by the server (all gates)</source>
        <translation>oleh server (semua gerbang)</translation>
    </message>
    <message>
        <source>offline: decided here</source>
        <translation>luring: diputuskan di sini</translation>
    </message>
    <message>
        <source>decided here</source>
        <translation>diputuskan di sini</translation>
    </message>
    <message>
        <source>the database is in use by another program; try again</source>
        <extracomment>Fallbacks that mean the server could not be used: the kiosk was offline for this scan. A rule: a pattern for an English message, the source text of its translation (in CONTEXT), and the names of the pattern&apos;s groups that fill %1, %2, ... in order. kiosk/store (StoreError, kiosk/store/errors.py and opening.py, db.py, parts/): the database&apos;s problems.</extracomment>
        <translation>basis data sedang dipakai program lain; coba lagi</translation>
    </message>
    <message>
        <source>the database cannot be written (read-only disk or file permissions)</source>
        <translation>basis data tidak dapat ditulis (disk hanya-baca atau izin berkas)</translation>
    </message>
    <message>
        <source>the kiosk&apos;s disk is full; free some space</source>
        <translation>disk kios penuh; kosongkan sebagian ruang</translation>
    </message>
    <message>
        <source>the kiosk&apos;s disk failed to read or write; check the disk</source>
        <translation>disk kios gagal membaca atau menulis; periksa disk</translation>
    </message>
    <message>
        <source>the booking file is damaged; call the office&apos;s IT staff</source>
        <translation>berkas jadwal rusak; hubungi staf TI kantor</translation>
    </message>
    <message>
        <source>the database is damaged; restore it from backup (call the office&apos;s IT staff)</source>
        <translation>basis data rusak; pulihkan dari cadangan (hubungi staf TI kantor)</translation>
    </message>
    <message>
        <source>the database is missing; restore it from backup (call the office&apos;s IT staff)</source>
        <translation>basis data hilang; pulihkan dari cadangan (hubungi staf TI kantor)</translation>
    </message>
    <message>
        <source>there is no kiosk database; set the kiosk up</source>
        <translation>basis data kios belum ada; siapkan kios terlebih dahulu</translation>
    </message>
    <message>
        <source>the database cannot be opened; call the office&apos;s IT staff</source>
        <translation>basis data tidak dapat dibuka; hubungi staf TI kantor</translation>
    </message>
    <message>
        <source>the database needs an upgrade: kiosk db upgrade</source>
        <translation>basis data perlu diperbarui: kiosk db upgrade</translation>
    </message>
    <message>
        <source>the database check failed; nobody is admitted until it is restored</source>
        <translation>pemeriksaan basis data gagal; tidak ada yang diizinkan masuk sampai basis data dipulihkan</translation>
    </message>
    <message>
        <source>a booking in the database was changed by hand; call the office&apos;s IT staff</source>
        <translation>ada jadwal di basis data yang diubah secara manual; hubungi staf TI kantor</translation>
    </message>
    <message>
        <source>the guard&apos;s action was not recorded</source>
        <translation>tindakan petugas tidak tercatat</translation>
    </message>
    <message>
        <source>the office settings are invalid; set the kiosk up again</source>
        <translation>pengaturan kantor tidak sah; siapkan ulang kios</translation>
    </message>
    <message>
        <source>database error (details in the kiosk&apos;s log)</source>
        <translation>kesalahan basis data (rincian di log kios)</translation>
    </message>
    <message>
        <source>Choose a reason.</source>
        <extracomment>kiosk/store/guard_actions.py (ActionError): why a guard&apos;s action was refused.</extracomment>
        <translation>Pilih alasan.</translation>
    </message>
    <message>
        <source>Describe what happened.</source>
        <translation>Jelaskan apa yang terjadi.</translation>
    </message>
    <message>
        <source>An override lets in 1 to %1 people.</source>
        <translation>Izin manual untuk 1 sampai %1 orang.</translation>
    </message>
    <message>
        <source>Write the note.</source>
        <translation>Tulis catatan.</translation>
    </message>
    <message>
        <source>Unknown guard.</source>
        <translation>Petugas tidak dikenal.</translation>
    </message>
    <message>
        <source>This guard is disabled.</source>
        <translation>Petugas ini dinonaktifkan.</translation>
    </message>
    <message>
        <source>This scan is not in the database.</source>
        <translation>Pemindaian ini tidak ada di basis data.</translation>
    </message>
    <message>
        <source>Choose a scan, not a guard&apos;s action.</source>
        <translation>Pilih pemindaian, bukan tindakan petugas.</translation>
    </message>
    <message>
        <source>This scan was admitted: there is nothing to do.</source>
        <translation>Pemindaian ini sudah diizinkan masuk: tidak ada yang perlu ditindaklanjuti.</translation>
    </message>
    <message>
        <source>The booking in the database was changed by hand; call the office&apos;s IT staff.</source>
        <translation>Jadwal di basis data diubah secara manual; hubungi staf TI kantor.</translation>
    </message>
    <message>
        <source>The action was refused (details in the kiosk&apos;s log).</source>
        <translation>Tindakan ditolak (rincian di log kios).</translation>
    </message>
    <message>
        <source>camera %1 (closed)</source>
        <extracomment>kiosk/vision (FrameSource.description): which camera is reading.</extracomment>
        <translation>kamera %1 (tertutup)</translation>
    </message>
    <message>
        <source>camera %1 %2, instead of camera %3</source>
        <translation>kamera %1 %2, sebagai pengganti kamera %3</translation>
    </message>
    <message>
        <source>camera %1 %2</source>
        <translation>kamera %1 %2</translation>
    </message>
    <message>
        <source>simulated camera %1 (closed)</source>
        <translation>kamera simulasi %1 (tertutup)</translation>
    </message>
    <message>
        <source>simulated camera %1 %2</source>
        <translation>kamera simulasi %1 %2</translation>
    </message>
    <message>
        <source>camera %1</source>
        <translation>kamera %1</translation>
    </message>
    <message>
        <source>video file %1</source>
        <translation>berkas video %1</translation>
    </message>
    <message>
        <source>image folder %1 (%2 images)</source>
        <translation>folder gambar %1 (%2 gambar)</translation>
    </message>
    <message>
        <source>no camera at %1, nor at any other index</source>
        <extracomment>kiosk/vision (CameraGone, CameraFault): why the camera is not reading.</extracomment>
        <translation>tidak ada kamera di %1, juga tidak di indeks lain</translation>
    </message>
    <message>
        <source>no camera at %1</source>
        <translation>tidak ada kamera di %1</translation>
    </message>
    <message>
        <source>camera %1 disconnected: plug it back in</source>
        <translation>kamera %1 terputus: pasang kembali kabelnya</translation>
    </message>
    <message>
        <source>no video file at %1</source>
        <translation>tidak ada berkas video di %1</translation>
    </message>
    <message>
        <source>no image folder at %1</source>
        <translation>tidak ada folder gambar di %1</translation>
    </message>
    <message>
        <source>the camera is not working (details in the kiosk&apos;s log)</source>
        <translation>kamera tidak berfungsi (rincian di log kios)</translation>
    </message>
    <message>
        <source>simulated relay (no door is opened)</source>
        <extracomment>kiosk/workers/gate.py, relay_board.py and kiosk/relay (description): what opens the door.</extracomment>
        <translation>relai simulasi (tidak ada pintu yang dibuka)</translation>
    </message>
    <message>
        <source>no door relay: the guard lets people through</source>
        <translation>tanpa relai pintu: petugas yang mempersilakan orang masuk</translation>
    </message>
    <message>
        <source>relay board (driver not loaded)</source>
        <translation>papan relai (driver tidak termuat)</translation>
    </message>
    <message>
        <source>GPIO relay on %1, line %2</source>
        <translation>relai GPIO di %1, jalur %2</translation>
    </message>
    <message>
        <source>simulated LCUS relay board at %1</source>
        <translation>papan relai LCUS simulasi di %1</translation>
    </message>
    <message>
        <source>LCUS USB relay board at %1</source>
        <translation>papan relai USB LCUS di %1</translation>
    </message>
    <message>
        <source>serial relay board at %1</source>
        <translation>papan relai serial di %1</translation>
    </message>
    <message>
        <source>the relay board is not connected (no port %1)</source>
        <extracomment>kiosk/relay (RelayFault): why the door relay did not switch.</extracomment>
        <translation>papan relai tidak tersambung (port %1 tidak ada)</translation>
    </message>
    <message>
        <source>the relay board was disconnected; plug it back in</source>
        <translation>papan relai terputus; pasang kembali kabelnya</translation>
    </message>
    <message>
        <source>the kiosk may not use the relay board&apos;s port; call the office&apos;s IT staff</source>
        <translation>kios tidak diizinkan memakai port papan relai; hubungi staf TI kantor</translation>
    </message>
    <message>
        <source>another program is using the relay board</source>
        <translation>papan relai sedang dipakai program lain</translation>
    </message>
    <message>
        <source>the relay board does not answer</source>
        <translation>papan relai tidak menjawab</translation>
    </message>
    <message>
        <source>the relay&apos;s contact %1 is stuck; call the office&apos;s IT staff</source>
        <translation>kontak relai %1 macet; hubungi staf TI kantor</translation>
    </message>
    <message>
        <source>the GPIO relay&apos;s software is not installed; call the office&apos;s IT staff</source>
        <translation>perangkat lunak relai GPIO belum terpasang; hubungi staf TI kantor</translation>
    </message>
    <message>
        <source>the door relay is not working (details in the kiosk&apos;s log)</source>
        <translation>relai pintu tidak berfungsi (rincian di log kios)</translation>
    </message>
    <message>
        <source>Code typed in by guard %1</source>
        <extracomment>The note the door adds to a code a guard typed in (kiosk/door/door.py, manual_note): stored in both languages, shown in the guard&apos;s.</extracomment>
        <translation>Kode diketik petugas %1</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <source>No guard is registered. Add one with `kiosk guard add`.</source>
        <extracomment>Set by the console: why its alert bar shows no names until a guard logs in.</extracomment>
        <translation>Belum ada petugas terdaftar. Tambahkan dengan `kiosk guard add`.</translation>
    </message>
    <message>
        <source>Checking the PIN…</source>
        <translation>Memeriksa PIN…</translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN. %n more wrong PIN(s) lock this guard out for 5 minutes.</source>
        <translation>
            <numerusform>PIN salah. %n kali lagi salah, petugas ini terkunci selama 5 menit.</numerusform>
        </translation>
    </message>
    <message>
        <source>Too many wrong PINs: this guard is locked out until %1.</source>
        <translation>Terlalu banyak PIN salah: petugas ini terkunci sampai pukul %1.</translation>
    </message>
    <message>
        <source>This guard is disabled.</source>
        <translation>Petugas ini dinonaktifkan.</translation>
    </message>
    <message>
        <source>Unknown guard.</source>
        <translation>Petugas tidak dikenal.</translation>
    </message>
    <message>
        <source>Guard login</source>
        <translation>Masuk petugas</translation>
    </message>
    <message>
        <source>Choose your name and enter your personal PIN.
Never share your PIN.</source>
        <translation>Pilih nama Anda dan masukkan PIN pribadi Anda.
Jangan pernah memberitahukan PIN Anda kepada siapa pun.</translation>
    </message>
    <message>
        <source>Guard</source>
        <translation>Petugas</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Masuk</translation>
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <source>Add a note</source>
        <translation>Tambah catatan</translation>
    </message>
    <message>
        <source>Write the note</source>
        <translation>Tulis catatan</translation>
    </message>
    <message>
        <source>Save note</source>
        <translation>Simpan catatan</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <source>Admit with a reason</source>
        <translation>Izinkan masuk dengan alasan</translation>
    </message>
    <message>
        <source>What happened? Required for “Other”.</source>
        <translation>Apa yang terjadi? Wajib diisi untuk “Lainnya”.</translation>
    </message>
    <message>
        <source>Admit</source>
        <translation>Izinkan masuk</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <source>Compare the name and the last 4 digits of the NIK with the ID card.</source>
        <translation>Cocokkan nama dan 4 digit terakhir NIK dengan KTP.</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Alasan</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Catatan</translation>
    </message>
    <message>
        <source>People let in:</source>
        <translation>Jumlah orang masuk:</translation>
    </message>
    <message>
        <source>Choose a reason.</source>
        <translation>Pilih alasan.</translation>
    </message>
    <message>
        <source>The note is too long.</source>
        <translation>Catatan terlalu panjang.</translation>
    </message>
    <message numerus="yes">
        <source>Describe what happened (at least %n characters).</source>
        <translation>
            <numerusform>Jelaskan apa yang terjadi (minimal %n karakter).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>Confirm with your PIN</source>
        <translation>Konfirmasi dengan PIN Anda</translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>Konfirmasi PIN</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <source>Guard: %1</source>
        <translation>Petugas: %1</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Time</source>
        <extracomment>Widths in pixels for a wide table (the name column takes what is left beyond them), and the least each column gets in a narrow one (a 1366x768 console): the name stays readable (&quot;Budi Santoso&quot;).</extracomment>
        <translation>Waktu</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Kode</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Hasil</translation>
    </message>
    <message>
        <source>NIK
(last 4)</source>
        <translation>NIK
(4 terakhir)</translation>
    </message>
    <message>
        <source>Party
size</source>
        <translation>Jml.
orang</translation>
    </message>
    <message>
        <source>First
entry</source>
        <translation>Masuk
pertama</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Belum ditangani</translation>
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
            <numerusform>%n belum ditangani</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n today</source>
        <translation>
            <numerusform>%n hari ini</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n new: move the pointer off the list to see it</source>
        <translation>
            <numerusform>%n baru: geser penunjuk tetikus dari daftar untuk melihatnya</numerusform>
        </translation>
    </message>
    <message>
        <source>Type a code:</source>
        <translation>Ketik kode:</translation>
    </message>
    <message>
        <source>a code the camera cannot read, e.g. MP7K-Q2XA-T3M9</source>
        <translation>kode yang tidak terbaca kamera, mis. MP7K-Q2XA-T3M9</translation>
    </message>
    <message>
        <source>Check code</source>
        <translation>Periksa kode</translation>
    </message>
    <message>
        <source>Show resolved scans</source>
        <translation>Tampilkan yang sudah ditangani</translation>
    </message>
    <message>
        <source>Admit…</source>
        <translation>Izinkan masuk…</translation>
    </message>
    <message>
        <source>Let the applicant in, with a reason from the list.</source>
        <translation>Izinkan pemohon masuk, dengan alasan dari daftar.</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>Tandai selesai</translation>
    </message>
    <message>
        <source>Seen and dealt with: the refusal stands.</source>
        <translation>Sudah dilihat dan ditangani: penolakan tetap berlaku.</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Abaikan</translation>
    </message>
    <message>
        <source>Close without action (a misread, the applicant left).</source>
        <translation>Tutup tanpa tindakan (salah baca, pemohon sudah pergi).</translation>
    </message>
    <message>
        <source>Add note…</source>
        <translation>Tambah catatan…</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Urungkan</translation>
    </message>
    <message>
        <source>Select a scan in the list.</source>
        <translation>Pilih pemindaian di daftar.</translation>
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
        <translation>Pemindaian</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Hasil</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Kode</translation>
    </message>
    <message>
        <source>⚠ changed by hand in the database: do not trust it</source>
        <translation>⚠ diubah manual di basis data: jangan dipercaya</translation>
    </message>
    <message>
        <source>Booking</source>
        <translation>Jadwal</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>NIK (last 4)</source>
        <translation>NIK (4 terakhir)</translation>
    </message>
    <message>
        <source>Party</source>
        <translation>Rombongan</translation>
    </message>
    <message>
        <source>Slot</source>
        <translation>Jam jadwal</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Kategori</translation>
    </message>
    <message>
        <source>not known to this kiosk</source>
        <translation>tidak dikenal di kios ini</translation>
    </message>
    <message>
        <source>First entry</source>
        <translation>Masuk pertama</translation>
    </message>
    <message>
        <source>Decided</source>
        <translation>Diputuskan</translation>
    </message>
</context>
<context>
    <name>StatsPage</name>
    <message>
        <source>Daily report saved:</source>
        <translation>Laporan harian disimpan:</translation>
    </message>
    <message>
        <source>the disk is full</source>
        <translation>disk penuh</translation>
    </message>
    <message>
        <source>the file %1 cannot be written</source>
        <translation>berkas %1 tidak dapat ditulis</translation>
    </message>
    <message>
        <source>an unexpected error (details in the kiosk&apos;s log)</source>
        <translation>kesalahan tak terduga (rincian di log kios)</translation>
    </message>
    <message>
        <source>The daily report was not made: %1</source>
        <translation>Laporan harian tidak dibuat: %1</translation>
    </message>
    <message>
        <source>Today&apos;s statistics</source>
        <translation>Statistik hari ini</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Muat ulang</translation>
    </message>
    <message>
        <source>Export daily report (CSV + PDF)</source>
        <translation>Ekspor laporan harian (CSV + PDF)</translation>
    </message>
    <message>
        <source>Overrides per guard</source>
        <translation>Izin manual per petugas</translation>
    </message>
    <message>
        <source>Overrides per reason</source>
        <translation>Izin manual per alasan</translation>
    </message>
    <message>
        <source>Guard</source>
        <translation>Petugas</translation>
    </message>
    <message>
        <source>Overrides</source>
        <translation>Izin manual</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Alasan</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Memuat…</translation>
    </message>
    <message>
        <source>%1 (%2) — admitted %3 · denied %4 · referred %5 · people let in %6 · guard overrides %7 · broker alerts %8</source>
        <translation>%1 (%2) — masuk %3 · ditolak %4 · perlu petugas %5 · orang masuk %6 · izin manual %7 · peringatan calo %8</translation>
    </message>
    <message>
        <source>Admitted</source>
        <translation>Masuk</translation>
    </message>
    <message>
        <source>Denied</source>
        <translation>Ditolak</translation>
    </message>
    <message>
        <source>Referred</source>
        <translation>Perlu petugas</translation>
    </message>
    <message>
        <source>Scans per hour (office time)</source>
        <translation>Pemindaian per jam (waktu kantor)</translation>
    </message>
    <message numerus="yes">
        <source>Others (%n reasons)</source>
        <translation>
            <numerusform>Lainnya (%n alasan)</numerusform>
        </translation>
    </message>
    <message>
        <source>Denied and referred, by reason</source>
        <translation>Ditolak dan perlu petugas, per alasan</translation>
    </message>
</context>
<context>
    <name>StatusPage</name>
    <message>
        <source>State</source>
        <translation>Keadaan</translation>
    </message>
    <message>
        <source>Frame rate</source>
        <translation>Laju bingkai</translation>
    </message>
    <message>
        <source>Decoder</source>
        <translation>Pembaca kode</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Sumber</translation>
    </message>
    <message>
        <source>Relay</source>
        <translation>Relai</translation>
    </message>
    <message>
        <source>Applicant screen</source>
        <translation>Layar pemohon</translation>
    </message>
    <message>
        <source>Data age</source>
        <translation>Usia data</translation>
    </message>
    <message>
        <source>Last sync</source>
        <translation>Sinkronisasi terakhir</translation>
    </message>
    <message>
        <source>Sync problem</source>
        <translation>Masalah sinkronisasi</translation>
    </message>
    <message>
        <source>Bookings held</source>
        <translation>Jadwal tersimpan</translation>
    </message>
    <message>
        <source>Pending uploads</source>
        <translation>Menunggu diunggah</translation>
    </message>
    <message>
        <source>Refused uploads</source>
        <translation>Unggahan ditolak</translation>
    </message>
    <message>
        <source>Online check</source>
        <translation>Pemeriksaan daring</translation>
    </message>
    <message>
        <source>Audit chain</source>
        <translation>Rantai audit</translation>
    </message>
    <message>
        <source>Entries</source>
        <translation>Entri</translation>
    </message>
    <message>
        <source>Last checked</source>
        <translation>Terakhir diperiksa</translation>
    </message>
    <message>
        <source>Anchored at server</source>
        <translation>Tercatat di server</translation>
    </message>
    <message>
        <source>Server&apos;s finding</source>
        <translation>Temuan server</translation>
    </message>
    <message>
        <source>Free disk</source>
        <translation>Sisa ruang disk</translation>
    </message>
    <message>
        <source>Office</source>
        <translation>Kantor</translation>
    </message>
    <message>
        <source>Kiosk</source>
        <translation>Kios</translation>
    </message>
    <message>
        <source>Gate</source>
        <translation>Pintu</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Versi</translation>
    </message>
    <message>
        <source>an older copy was put back</source>
        <extracomment>The kinds of incident the server names (kiosk/server/anchor.py), in the guard&apos;s words.</extracomment>
        <translation>salinan lama dipasang kembali</translation>
    </message>
    <message>
        <source>entries were rewritten</source>
        <translation>ada entri yang ditulis ulang</translation>
    </message>
    <message>
        <source>entries were deleted or inserted</source>
        <translation>ada entri yang dihapus atau disisipkan</translation>
    </message>
    <message>
        <source>entries were edited</source>
        <translation>ada entri yang diubah</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <source>Gate and screen</source>
        <translation>Pintu dan layar</translation>
    </message>
    <message>
        <source>Booking data and sync</source>
        <translation>Data jadwal dan sinkronisasi</translation>
    </message>
    <message>
        <source>Audit chain and disk</source>
        <translation>Rantai audit dan disk</translation>
    </message>
    <message>
        <source>This kiosk</source>
        <translation>Kios ini</translation>
    </message>
    <message>
        <source>Camera not connected</source>
        <extracomment>The camera&apos;s faults (kiosk.vision.watchdog.FaultKind values) as the guard reads them on the banner; the technical detail (the camera&apos;s own message) stays on the Status tab.</extracomment>
        <translation>Kamera tidak tersambung</translation>
    </message>
    <message>
        <source>Camera cannot be opened (in use or not allowed)</source>
        <translation>Kamera tidak dapat dibuka (sedang dipakai atau tidak diizinkan)</translation>
    </message>
    <message>
        <source>Camera cannot be read</source>
        <translation>Kamera tidak dapat dibaca</translation>
    </message>
    <message>
        <source>Camera sends no picture</source>
        <translation>Kamera tidak mengirim gambar</translation>
    </message>
    <message>
        <source>Camera picture is black (lens covered or too dark)</source>
        <translation>Gambar kamera hitam (lensa tertutup atau terlalu gelap)</translation>
    </message>
    <message>
        <source>Camera picture is too bright (facing a light)</source>
        <translation>Gambar kamera terlalu terang (menghadap cahaya)</translation>
    </message>
    <message>
        <source>Camera picture is frozen</source>
        <translation>Gambar kamera membeku</translation>
    </message>
    <message>
        <source>The code reader is not working</source>
        <translation>Pembaca kode tidak berfungsi</translation>
    </message>
    <message>
        <source>Camera not working</source>
        <translation>Kamera tidak berfungsi</translation>
    </message>
    <message>
        <source>codes are read only by the hand scanner or typed in</source>
        <translation>kode hanya dapat dibaca dengan pemindai genggam atau diketik</translation>
    </message>
    <message>
        <source>Gate relay fault: the gate cannot open</source>
        <translation>Gangguan relai pintu: pintu tidak dapat terbuka</translation>
    </message>
    <message>
        <source>Database problem: scans cannot be recorded</source>
        <translation>Masalah basis data: pemindaian tidak dapat dicatat</translation>
    </message>
    <message>
        <source>Booking data not updated for %n minute(s): unknown codes go to the officer</source>
        <translation>Data jadwal tidak diperbarui selama %n menit: kode yang tidak dikenal diteruskan ke petugas</translation>
    </message>
    <message>
        <source>Booking data never synced: unknown codes go to the officer</source>
        <translation>Data jadwal belum pernah disinkronkan: kode yang tidak dikenal diteruskan ke petugas</translation>
    </message>
    <message>
        <source>Booking file older than this kiosk last saw: every code goes to the officer</source>
        <translation>Berkas jadwal lebih lama daripada yang terakhir dilihat kios ini: setiap kode diteruskan ke petugas</translation>
    </message>
    <message>
        <source>Status</source>
        <extracomment>What the last check of the database files found wrong (KioskStore.check_files()); &quot;&quot; when sound.</extracomment>
        <translation>Status</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Sinkronkan sekarang</translation>
    </message>
    <message>
        <source>Verify now</source>
        <translation>Periksa sekarang</translation>
    </message>
    <message>
        <source>working</source>
        <translation>berfungsi</translation>
    </message>
    <message>
        <source>%1, in its own process</source>
        <translation>%1, dalam proses tersendiri</translation>
    </message>
    <message>
        <source>open</source>
        <translation>terbuka</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>tertutup</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>gangguan</translation>
    </message>
    <message>
        <source>OUT OF ORDER (%1)</source>
        <translation>TIDAK BERFUNGSI (%1)</translation>
    </message>
    <message>
        <source>in service</source>
        <translation>berfungsi</translation>
    </message>
    <message>
        <source>No sync server is configured.</source>
        <translation>Server sinkronisasi belum diatur.</translation>
    </message>
    <message>
        <source>never</source>
        <translation>belum pernah</translation>
    </message>
    <message>
        <source>booking file lost: import the bookings again</source>
        <translation>berkas jadwal hilang: impor ulang data jadwal</translation>
    </message>
    <message>
        <source>booking file OLDER than this database last saw (%1): rolled back or replaced; every code goes to the officer until the next sync or import</source>
        <translation>berkas jadwal LEBIH LAMA daripada yang terakhir dilihat basis data ini (%1): dikembalikan ke salinan lama atau diganti; setiap kode diteruskan ke petugas sampai sinkronisasi atau impor berikutnya</translation>
    </message>
    <message numerus="yes">
        <source>%n kept for IT: kiosk sync status</source>
        <translation>
            <numerusform>%n disimpan untuk TI: kiosk sync status</numerusform>
        </translation>
    </message>
    <message>
        <source>not checked yet</source>
        <translation>belum diperiksa</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>BAIK</translation>
    </message>
    <message>
        <source>BROKEN: %1</source>
        <translation>RUSAK: %1</translation>
    </message>
    <message>
        <source>off: every scan is decided here</source>
        <translation>mati: setiap pemindaian diputuskan di sini</translation>
    </message>
    <message>
        <source>on: %1</source>
        <translation>hidup: %1</translation>
    </message>
    <message>
        <source>on: no scan yet</source>
        <translation>hidup: belum ada pemindaian</translation>
    </message>
    <message>
        <source>on: %1 of %2 answered, median %3 ms</source>
        <translation>hidup: %1 dari %2 dijawab, median %3 md</translation>
    </message>
    <message>
        <source>last fallback: %1</source>
        <translation>terakhir diputuskan di sini: %1</translation>
    </message>
    <message>
        <source>imported locally (no sync)</source>
        <translation>impor lokal (tanpa sinkronisasi)</translation>
    </message>
    <message>
        <source>never synced</source>
        <translation>belum pernah disinkronkan</translation>
    </message>
    <message numerus="yes">
        <source>%n min</source>
        <translation>
            <numerusform>%n menit</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h</source>
        <translation>
            <numerusform>%n jam</numerusform>
        </translation>
    </message>
    <message>
        <source>not yet: no receipt from the server</source>
        <translation>belum: belum ada tanda terima dari server</translation>
    </message>
    <message>
        <source>no server: sign the head in the daily report</source>
        <translation>tanpa server: tanda tangani kepala rantai di laporan harian</translation>
    </message>
    <message>
        <source>up to entry %1 (%2); %3 not yet</source>
        <translation>sampai entri %1 (%2); %3 belum</translation>
    </message>
    <message>
        <source>%1: the server found this kiosk&apos;s audit chain altered (%2); tell the head of office</source>
        <translation>%1: server menemukan rantai audit kiosk ini diubah (%2); laporkan kepada kepala kantor</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>tidak diketahui</translation>
    </message>
</context>
</TS>
