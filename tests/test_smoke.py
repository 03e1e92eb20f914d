def test_front_page_shows_practice(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Welcome to the patient portal" in response.get_data(as_text=True)


def test_admin_fixture_signs_in(client, admin):
    response = client.get("/staff/patients")
    assert response.status_code == 200
    assert "Patients" in response.get_data(as_text=True)
