"""The flash texts of the care pages: consents and health forms, messages, health records and
their sharing (flash_messages.py holds the catalogue's account texts and its functions).

Each entry is key -> (text, category), as in FLASHES, which includes these.
"""

from flask_babel import lazy_gettext as _l

CARE_FLASHES = {
    # -- consents and health forms (documents blueprint) --
    "consent_signed": (_l("Thank you. You signed “%(title)s”. Your signed copy is below."),
                       "success"),
    "consent_needed": (_l("Before you continue, please read and sign “%(title)s”."), "info"),
    "guardian_identity_failed": (_l("Those details do not match our records. Check your "
                                    "child's date of birth and account number, and your own "
                                    "date of birth."), "error"),
    "proxy_joined": (_l("%(name)s's record is now in your portal account."), "success"),
    "representative_identity_failed": (_l("Those details do not match our records. Check the "
                                          "date of birth of the person who invited you, and "
                                          "your own."), "error"),
    "representative_identity_too_young": (_l("A representative must be 18 or older. Check your "
                                             "date of birth."), "error"),
    "guardian_invited": (_l("An invitation was emailed to %(name)s."), "success"),
    "representative_invited": (_l("Thank you. Your authorization is signed, and %(name)s has "
                                  "been emailed an invitation."), "success"),
    "representative_revoked": (_l("%(name)s can no longer open your record."), "success"),
    "representative_already_ended": (_l("%(name)s's access had already ended."), "info"),
    "account_taken_over": (_l("The patient's own portal account is now %(name)s's, as their "
                              "parent or guardian."), "success"),
    "switched": (_l("You are now looking at the record of %(name)s."), "success"),
    "switch_refused": (_l("That record is not one you can open. The records you can open are "
                          "in the list at the top of the page."), "error"),
    "form_draft_saved": (_l("Your answers to “%(title)s” are saved. You can finish the form "
                            "later."), "success"),
    "form_submitted": (_l("Thank you. You submitted “%(title)s”. Your care team will review "
                          "it."), "success"),
    # -- consents and health forms, staff side (staff blueprint, consents.py) --
    "signature_damaged": (
        _l("The stored PDF failed its integrity check, so it was not sent. The practice admin "
           "has been put on notice in the audit log; the paper chart or a backup holds the "
           "original."), "error"),
    "paper_signature_recorded": (
        _l("The paper signature of “%(title)s” was recorded. It counts as the patient's current "
           "consent."), "success"),
    "form_assign_choose": (_l("Choose a health form to assign."), "error"),
    "form_assigned": (_l("The health form was assigned. The patient sees it on their forms "
                         "page."), "success"),
    "form_already_assigned": (_l("That health form is already assigned and not yet filled in."),
                              "info"),
    "form_reviewed": (_l("The health form was marked reviewed."), "success"),
    "form_already_reviewed": (_l("That health form was already reviewed."), "info"),
    # -- the admin's documents (admin blueprint, documents.py) --
    "document_defaults_added": (_l("The portal's default consent and health form are ready. Read them, "
                          "and edit them to suit the practice."), "success"),
    "document_created": (_l("The draft was made. Write its text, then publish it."), "success"),
    "document_draft_started": (_l("This is a draft of version %(number)s. Patients keep seeing the "
                         "published version until you publish it."), "info"),
    "document_saved": (_l("The draft was saved. Patients see it only once you publish it."), "success"),
    "document_published": (_l("Version %(number)s is published: patients see it from now on. Signed "
                     "copies keep the version that was signed."), "success"),
    "document_no_draft": (_l("There is no draft to edit. Choose “Edit” to start the next version."),
                 "info"),
    "document_retired": (_l("The document was retired: patients are no longer asked to sign it. Signed "
                   "copies stay as they are."), "success"),
    "document_available_on": (_l("Every patient can now fill in this form."), "success"),
    "document_available_off": (_l("Only patients you assign this form to can fill it in."), "success"),
    "document_unchanged": (_l("Nothing was changed."), "info"),
    "document_field_saved": (_l("The question was saved on the draft."), "success"),
    "document_field_removed": (_l("The question was removed from the draft."), "success"),
    "document_field_moved": (_l("The question was moved."), "success"),
    # Messages (the patient's side)
    "message_sent": (_l("Your message was sent. The care team answers within %(days)s."),
                     "success"),
    "message_reply_sent": (_l("Your reply was sent."), "success"),
    "conversation_archived": (_l("The conversation was archived. You can find it under "
                                 "Archived."), "success"),
    "conversation_restored": (_l("The conversation is back in your inbox."), "success"),
    # Messages (the staff side)
    "staff_reply_sent": (_l("Your reply was sent. The patient is told by email that a message "
                            "is waiting, if they asked for that."), "success"),
    "staff_conversation_started": (_l("The message was sent to the patient."), "success"),
    "note_added": (_l("The internal note was added. The patient does not see it."), "success"),
    "conversation_assigned": (_l("The conversation was assigned to %(name)s."), "success"),
    "conversation_unassigned": (_l("The conversation is back with the whole pool."), "success"),
    "conversation_moved": (_l("The conversation was moved to the %(pool)s pool."), "success"),
    "conversation_closed": (_l("The conversation was closed. If the patient writes again, it "
                               "opens again."), "success"),
    # Messages (the practice admin's side)
    "topic_saved": (_l("The topic was saved."), "success"),
    "reply_template_saved": (_l("The saved reply was saved."), "success"),
    # Health records (the staff side)
    "record_published": (_l("The record was published. The patient can see it now."), "success"),
    "record_drafted": (_l("The record was saved as a draft. The patient does not see it until "
                          "it is released."), "success"),
    "record_released": (_l("The record was released. The patient can see it now."), "success"),
    "record_not_released": (_l("Only a draft or a held result can be released."), "info"),
    "record_held": (_l("The result is held for review. The patient does not see it until it "
                       "is released."), "success"),
    "record_retracted": (_l("The entry was retracted as entered in error. The patient no longer "
                            "sees it."), "success"),
    "record_already_retracted": (_l("That entry was already retracted."), "info"),
    "records_imported": (_l("Entries published from the file: %(count)s. The patient can see "
                            "them now."), "success"),
    "records_imported_as_drafts": (_l("Entries saved as drafts from the file: %(count)s. The "
                                      "patient does not see them until they are released."),
                                   "success"),
    # Health record corrections (patient asks, staff record the outcome)
    "correction_requested": (_l("Your request was sent to the practice. They answer within "
                                "%(days)s, here in Messages."), "success"),
    "correction_decided": (_l("The outcome was recorded and the patient was sent it in the "
                              "conversation."), "success"),
    # Sharing the health record with another provider
    "share_revoked": (_l("You stopped sharing with %(recipient)s. The link and code no longer "
                         "open anything."), "success"),
    "share_already_stopped": (_l("That share had already stopped working."), "info"),
    "share_closed": (_l("You closed the shared record in this browser."), "success"),
    "staff_share_stopped": (_l("The share was stopped. Its link and code no longer open "
                               "anything."), "success"),
    # share (issue 21): handing a share's link over
    "share_handover_stopped": (_l("That share is no longer working, so its link cannot be "
                                  "printed or sent. Make a new share if the provider still "
                                  "needs your record."), "error"),
    # drafts: what was typed when the idle sign-out came, shown again once (issue 21)
    "kept_message_restored": (_l("You were writing a message. Here it is. Nothing was sent yet."), "info"),
    "kept_reply_restored": (_l("You were writing a reply. Here it is. Nothing was sent yet."), "info"),
    "kept_form_restored": (_l("You were filling in this form. Here are your answers, not saved."), "info"),
    "kept_files_not_kept": (_l("Files you had attached could not be kept: attach them again."), "info"),
    # --- links (issue 21): a lab panel published in one form ---
    "panel_published": (_l("Results published from the panel: %(count)s. The patient can see "
                           "them now."), "success"),
    "panel_drafted": (_l("Results saved as drafts from the panel: %(count)s. The patient does "
                         "not see them until they are released."), "success"),
    # notices (issue 21): staff change an appointment the patient sees
    "appointment_changed": (_l("The appointment was changed. The patient sees the change, and "
                               "is sent an email notice if they chose appointment notices."),
                            "success"),
    "appointment_unchanged": (_l("Nothing was changed."), "info"),
}
